"""Visible checks for ch4.weight_decay: run them with `pytest exercises/ch4`."""

from __future__ import annotations

import torch

from grader.checks import check, expect, StudentError

EXERCISE = "ch4.weight_decay"


def _penalty_lam(student, lam: float, X: torch.Tensor) -> float:
    """The lam to give mode "penalty" so that lam * (your l2_penalty) is the contract's penalty:
    lam itself when l2_penalty is right. A wrong l2_penalty is its own checks' slip, so the
    training checks make up for it instead of charging it a second time."""
    try:
        # w's own shape (d, 1): a penalty that averages depends on it
        d = X.shape[1]
        scale = float(student.l2_penalty(torch.ones(d, 1, dtype=X.dtype, device=X.device))) / d   # 0.5: half the sum
    except (StudentError, TypeError, ValueError):   # no usable l2_penalty: the contract's lam
        return lam
    return lam * 0.5 / scale if 0 < scale < float("inf") else lam


@check(points=1, clause="penalty_example")
def test_l2_penalty_example(student, device, rng):
    """l2_penalty([3, 4]) is (9 + 16) / 2 = 12.5, a 0-dim tensor."""
    w = torch.tensor([3.0, 4.0], device=device)
    expect.close(student.l2_penalty(w), torch.tensor(12.5, device=device), what="l2_penalty([3, 4])")
    W = torch.ones(2, 3, dtype=torch.float64, device=device)
    expect.close(student.l2_penalty(W), torch.tensor(3.0, dtype=torch.float64, device=device),
                 what="l2_penalty(ones(2, 3)) in float64")


@check(points=2, clause="example")
def test_worked_example(student, device, rng):
    """The text's worked example: two steps give w = (0.405, 0.81), b = 0.42 in both modes."""
    X = torch.tensor([[1.0, 2.0]], device=device)
    y = torch.tensor([3.0], device=device)
    for mode in ("penalty", "optimizer"):
        lam = _penalty_lam(student, 0.5, X) if mode == "penalty" else 0.5
        got = student.train_weight_decay(X, y, lam, mode=mode, lr=0.1, num_epochs=2, batch_size=1)
        expect.true(type(got) in (tuple, list) and len(got) == 2, "train_weight_decay must return (w, b)")
        expect.close(got[0], torch.tensor([[0.405], [0.81]], device=device), what=f"w (mode={mode!r})")
        expect.close(got[1], torch.tensor([0.42], device=device), what=f"b (mode={mode!r}); the bias "
                     "must not be decayed")


@check(points=1, clause="plain_example")
def test_lambda_zero_no_decay(student, device, rng):
    """With lam = 0 the worked example's second step gives w = (0.42, 0.84)."""
    X = torch.tensor([[1.0, 2.0]], device=device)
    y = torch.tensor([[3.0]], device=device)
    w, b = student.train_weight_decay(X, y, 0.0, mode="penalty", lr=0.1, num_epochs=2, batch_size=1)
    expect.close(w, torch.tensor([[0.42], [0.84]], device=device), what="w with lam = 0")
    expect.close(b, torch.tensor([0.42], device=device), what="b with lam = 0")


@check(points=2, clause="modes_agree")
def test_modes_agree_and_shrink(student, device, rng):
    """Both modes agree to 1e-5, and a larger lam gives smaller weights."""
    X = torch.randn(15, 4, generator=rng).to(device)
    y = X @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]], device=device) + 1.0
    runs = {}
    for lam in (0.0, 2.0):
        for mode in ("penalty", "optimizer"):
            given = _penalty_lam(student, lam, X) if mode == "penalty" else lam
            runs[lam, mode] = student.train_weight_decay(X, y, given, mode=mode, lr=0.05, num_epochs=2)
        expect.close(runs[lam, "optimizer"][0], runs[lam, "penalty"][0], rtol=1e-5, atol=1e-5,
                     what=f"w of the two modes (lam = {lam})")
        expect.close(runs[lam, "optimizer"][1], runs[lam, "penalty"][1], rtol=1e-5, atol=1e-5,
                     what=f"b of the two modes (lam = {lam})")
    w0, w2 = runs[0.0, "penalty"][0], runs[2.0, "penalty"][0]
    expect.shape(w0, (4, 1), "w")
    expect.true(float(w2.norm()) < float(w0.norm()),
                f"|w| with lam = 2 ({float(w2.norm()):.3f}) should be smaller than with lam = 0 "
                f"({float(w0.norm()):.3f})")


@check(points=1, clause="mode_error")
def test_unknown_mode(student, device, rng):
    """Any mode other than "penalty" and "optimizer" raises ValueError ("adam", "Penalty", "")."""
    X, y = torch.randn(10, 2, generator=rng).to(device), torch.randn(10, 1, generator=rng).to(device)
    for mode in ("adam", "Penalty", ""):
        with expect.raises(ValueError, what=f"train_weight_decay(..., mode={mode!r})"):
            student.train_weight_decay(X, y, 1.0, mode=mode)
