"""Hidden checks for ch4.weight_decay.

Training is deterministic (zero start, minibatches in order), so every run is compared with the
reference on the same random data. The learning rate and lambda are larger than the defaults so
that decaying the bias, dropping the half or skipping the last partial minibatch moves the
result far beyond rounding.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect, reference_call

EXERCISE = "ch4.weight_decay"

# Alternatives (closed-form gradients, another summation order) differ in the last digits.
PARAM_TOL = {"rtol": 1e-4, "atol": 1e-5}
MODES_TOL = {"rtol": 1e-5, "atol": 1e-5}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _uniform(rng: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand(1, generator=rng))


def _problem(rng: torch.Generator, device: torch.device, dtype: torch.dtype = torch.float32,
             column: bool = False, full_batches: tuple[int, int] = (2, 2), epochs: int = 2,
             partial: bool = True) -> dict:
    """A noisy linear problem whose size is not a multiple of the batch size, unless partial is
    False (small: checks are timed)."""
    d, batch = _int(rng, 3, 6), _int(rng, 3, 5)
    n = batch * _int(rng, *full_batches) + (_int(rng, 1, batch - 1) if partial else 0)
    X = torch.randn(n, d, generator=rng)
    w_true = torch.randn(d, 1, generator=rng)
    y = (X @ w_true).reshape(-1) + 1.5 + 0.1 * torch.randn(n, generator=rng)
    if column:
        y = y.reshape(-1, 1)
    return {"X": X.to(dtype).to(device), "y": y.to(dtype).to(device), "lam": _uniform(rng, 0.8, 2.5),
            "lr": _uniform(rng, 0.04, 0.08), "num_epochs": epochs, "batch_size": batch}


def _kwargs(p: dict, mode: str) -> dict:
    return {"mode": mode, "lr": p["lr"], "num_epochs": p["num_epochs"], "batch_size": p["batch_size"]}


def _pair(value: object, what: str) -> tuple:
    expect.true(type(value) in (tuple, list) and len(value) == 2, f"{what} must return the pair (w, b)")
    return tuple(value)


def _expect_wb(got: object, expected: tuple, what: str, tol: dict = PARAM_TOL) -> None:
    w, b = _pair(got, what)
    expect.close(w, expected[0], **tol, what=f"w from {what}")
    expect.close(b, expected[1], **tol, what=f"b from {what}")


# ---------------------------------------------------------------- l2_penalty

@check(points=2)
def test_l2_penalty_random(student, reference, device, rng):
    """l2_penalty is half the sum of squares, a 0-dim tensor, for any shape and float32/float64."""
    for shape, dtype in (((7,), torch.float32), ((4, 5), torch.float32), ((3, 2, 6), torch.float64),
                         ((5, 1), torch.float64)):
        w = torch.randn(*shape, generator=rng).to(dtype).to(device)
        expect.close(student.l2_penalty(w), reference.l2_penalty(w),
                     what=f"l2_penalty of a {dtype} tensor of shape {shape}")


@check(points=1)
def test_l2_penalty_keeps_device_and_input(student, reference, device, rng):
    """l2_penalty keeps the input's device (meta too) and leaves the input unchanged."""
    w = torch.randn(6, 3, generator=rng).to(device)
    _, records = student.call_recorded("l2_penalty", w)
    expect.equal(records["args_after"][0], w, what="w after l2_penalty(w)")
    got = expect.tensor(student.l2_penalty(torch.empty(4, 2, device="meta")), "l2_penalty on a meta tensor")
    expect.true(got.device.type == "meta", f"l2_penalty of a meta tensor came back on {got.device}")
    expect.shape(got, (), "l2_penalty on a meta tensor")


# ---------------------------------------------------------------- train_weight_decay

@check(points=3)
def test_penalty_mode_matches_reference(student, reference, device, rng):
    """mode="penalty" gives the reference's (w, b) (partial last minibatch, targets of shape (n,))."""
    p = _problem(rng, device, full_batches=(5, 6))
    got = student.train_weight_decay(p["X"], p["y"], p["lam"], **_kwargs(p, "penalty"))
    exp, _ = reference_call(reference.train_weight_decay, p["X"], p["y"], p["lam"], **_kwargs(p, "penalty"))
    _expect_wb(got, exp, 'train_weight_decay(mode="penalty")')


@check(points=3)
def test_optimizer_mode_matches_reference(student, reference, device, rng):
    """mode="optimizer" gives the reference's (w, b) (partial last minibatch, targets of shape (n, 1))."""
    p = _problem(rng, device, column=True, full_batches=(5, 6))
    got = student.train_weight_decay(p["X"], p["y"], p["lam"], **_kwargs(p, "optimizer"))
    exp, _ = reference_call(reference.train_weight_decay, p["X"], p["y"], p["lam"], **_kwargs(p, "optimizer"))
    _expect_wb(got, exp, 'train_weight_decay(mode="optimizer")')


@check(points=1)
def test_modes_agree(student, reference, device, rng):
    """The two modes give the same (w, b) to 1e-5."""
    p = _problem(rng, device)
    a = _pair(student.train_weight_decay(p["X"], p["y"], p["lam"], **_kwargs(p, "penalty")), "penalty mode")
    b = _pair(student.train_weight_decay(p["X"], p["y"], p["lam"], **_kwargs(p, "optimizer")), "optimizer mode")
    _expect_wb(b, a, 'mode="optimizer" compared with mode="penalty"', MODES_TOL)


@check(points=2)
def test_bias_is_not_decayed(student, reference, device, rng):
    """The bias is never decayed: with all-zero inputs w stays 0 and b follows plain SGD, in both modes."""
    n, batch, lr, lam, epochs = _int(rng, 11, 14), 5, 0.2, 3.0, 3
    X = torch.zeros(n, 3, device=device)
    y = (2.0 + torch.randn(n, generator=rng)).to(device)
    b = 0.0
    for _ in range(epochs):  # the mean squared loss's gradient in b is (b - mean of the batch)
        for start in range(0, n, batch):
            b -= lr * (b - float(y[start:start + batch].mean()))
    for mode in ("penalty", "optimizer"):
        got = _pair(student.train_weight_decay(X, y, lam, mode=mode, lr=lr, num_epochs=epochs,
                                               batch_size=batch), f"mode={mode!r}")
        expect.close(got[0], torch.zeros(3, 1, device=device), **PARAM_TOL,
                     what=f"w for all-zero inputs (mode={mode!r})")
        expect.close(got[1], torch.tensor([b], device=device), **PARAM_TOL,
                     what=f"b for all-zero inputs (mode={mode!r}); is the bias decayed?")


@check(points=1)
def test_lambda_zero_is_plain_regression(student, reference, device, rng):
    """With lam = 0 both modes are plain minibatch linear regression."""
    p = _problem(rng, device)
    exp, _ = reference_call(reference.train_weight_decay, p["X"], p["y"], 0.0, **_kwargs(p, "penalty"))
    for mode in ("penalty", "optimizer"):
        got = student.train_weight_decay(p["X"], p["y"], 0.0, **_kwargs(p, mode))
        _expect_wb(got, exp, f"train_weight_decay(lam=0, mode={mode!r})")


@check(points=1)
def test_float64(student, reference, device, rng):
    """float64 data give float64 (w, b) equal to the reference's, in both modes (n a multiple of the batch size)."""
    p = _problem(rng, device, dtype=torch.float64, partial=False)
    for mode in ("penalty", "optimizer"):
        got = student.train_weight_decay(p["X"], p["y"], p["lam"], **_kwargs(p, mode))
        exp, _ = reference_call(reference.train_weight_decay, p["X"], p["y"], p["lam"], **_kwargs(p, mode))
        _expect_wb(got, exp, f"train_weight_decay on float64 data (mode={mode!r})")


@check(points=1)
def test_unknown_mode_raises(student, reference, device, rng):
    """Any mode other than "penalty" and "optimizer" raises ValueError."""
    p = _problem(rng, device)
    for mode in ("adam", "Penalty", ""):
        with expect.raises(ValueError, what=f"train_weight_decay(..., mode={mode!r})"):
            student.train_weight_decay(p["X"], p["y"], p["lam"], **_kwargs(p, mode))


@check(points=1)
def test_inputs_unchanged(student, reference, device, rng):
    """train_weight_decay leaves X and y as they were, and makes w and b on X's device (meta too)."""
    p = _problem(rng, device, epochs=1)
    _, records = student.call_recorded("train_weight_decay", p["X"], p["y"], p["lam"], **_kwargs(p, "optimizer"))
    expect.equal(records["args_after"][0], p["X"], what="X after train_weight_decay")
    expect.equal(records["args_after"][1], p["y"], what="y after train_weight_decay")
    X, y = torch.empty(12, 3, device="meta"), torch.empty(12, device="meta")
    for mode in ("penalty", "optimizer"):
        for i in (0, 1):
            expect.keeps_meta_device(lambda: student.train_weight_decay(X, y, 0.5, mode=mode, num_epochs=1)[i],
                                     f"train_weight_decay(X on meta, mode={mode!r})[{i}]")
