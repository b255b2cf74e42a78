"""Hidden checks for ch4.weight_decay.

Training is deterministic (zero start, minibatches in order), so every run is compared with the
reference on the same random data. The learning rate and lambda are larger than the defaults so
that decaying the bias, dropping the half or skipping the last partial minibatch moves the
result far beyond rounding.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect, reference_call, StudentError

EXERCISE = "ch4.weight_decay"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "penalty_example": "l2_penalty([3, 4]) is 12.5, a 0-d tensor, and keeps float64",
    "penalty_any": "l2_penalty is half the sum of squares of all entries, for any shape, float32 and float64",
    "penalty_device_input": "l2_penalty keeps w's device and leaves w unchanged",
    "example": "the worked example: two steps give w = (0.405, 0.81), b = 0.42 in both modes",
    "plain_example": "with lam = 0 the worked example gives w = (0.42, 0.84), b = 0.42",
    "penalty_mode": "mode 'penalty' adds lam * l2_penalty(w) to the mean half squared loss (the reference's run)",
    "optimizer_mode": "mode 'optimizer' gives SGD weight_decay = lam on w only (the reference's run)",
    "partial_batch": "minibatches in order, the last smaller one used too",
    "flat_targets": "targets of shape (n,) are reshaped to (n, 1), never broadcast",
    "modes_agree": "the two modes give the same (w, b) to 1e-5, and a larger lam gives smaller weights",
    "bias_not_decayed": "the bias is never decayed, in either mode",
    "plain_any": "with lam = 0 both modes are plain minibatch linear regression",
    "float64": "float64 data give float64 (w, b)",
    "mode_error": "any mode other than 'penalty' and 'optimizer' raises ValueError",
    "inputs_device": "X and y are left unchanged, and w and b are made on X's device",
}

# Every run below uses targets of shape (n, 1) and whole minibatches, except the one check that
# is about each: reshaping (n,) targets and using the last smaller minibatch are one slip each.

# Alternatives (closed-form gradients, another summation order) differ in the last digits.
PARAM_TOL = {"rtol": 1e-4, "atol": 1e-5}
MODES_TOL = {"rtol": 1e-5, "atol": 1e-5}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _uniform(rng: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand(1, generator=rng))


def _problem(rng: torch.Generator, device: torch.device, dtype: torch.dtype = torch.float32,
             column: bool = True, full_batches: tuple[int, int] = (2, 2), epochs: int = 2,
             partial: bool = False) -> dict:
    """A noisy linear problem: targets (n, 1) and whole minibatches unless column / partial say
    otherwise (small: checks are timed)."""
    d, batch = _int(rng, 3, 6), _int(rng, 3, 5)
    n = batch * _int(rng, *full_batches) + (_int(rng, 1, batch - 1) if partial else 0)
    X = torch.randn(n, d, generator=rng)
    w_true = torch.randn(d, 1, generator=rng)
    y = (X @ w_true).reshape(-1) + 1.5 + 0.1 * torch.randn(n, generator=rng)
    if column:
        y = y.reshape(-1, 1)
    return {"X": X.to(dtype).to(device), "y": y.to(dtype).to(device), "lam": _uniform(rng, 0.8, 2.5),
            "lr": _uniform(rng, 0.04, 0.08), "num_epochs": epochs, "batch_size": batch}


def _penalty_lam(student, lam: float, X: torch.Tensor) -> float:
    """The lam to give mode "penalty" so that lam * (the student's l2_penalty) is the contract's
    penalty: lam itself when l2_penalty is right. A wrong l2_penalty is its own checks' slip, so
    the training checks make up for it instead of charging it a second time."""
    try:
        # w's own shape (d, 1): a penalty that averages depends on it
        d = X.shape[1]
        scale = float(student.l2_penalty(torch.ones(d, 1, dtype=X.dtype, device=X.device))) / d   # 0.5: half the sum
    except (StudentError, TypeError, ValueError):   # no usable l2_penalty: the contract's lam
        return lam
    return lam * 0.5 / scale if 0 < scale < float("inf") else lam


def _lam(student, p: dict, mode: str) -> float:
    return _penalty_lam(student, p["lam"], p["X"]) if mode == "penalty" else p["lam"]


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

@check(points=2, clause="penalty_any")
def test_l2_penalty_random(student, reference, device, rng):
    """l2_penalty is half the sum of squares, a 0-dim tensor, for any shape and float32/float64."""
    for shape, dtype in (((7,), torch.float32), ((4, 5), torch.float32), ((3, 2, 6), torch.float64),
                         ((5, 1), torch.float64)):
        w = torch.randn(*shape, generator=rng).to(dtype).to(device)
        expect.close(student.l2_penalty(w), reference.l2_penalty(w),
                     what=f"l2_penalty of a {dtype} tensor of shape {shape}")


@check(points=1, clause="penalty_device_input")
def test_l2_penalty_keeps_device_and_input(student, reference, device, rng):
    """l2_penalty keeps the input's device (meta too) and leaves the input unchanged."""
    w = torch.randn(6, 3, generator=rng).to(device)
    _, records = student.call_recorded("l2_penalty", w)
    expect.equal(records["args_after"][0], w, what="w after l2_penalty(w)")
    got = expect.tensor(student.l2_penalty(torch.empty(4, 2, device="meta")), "l2_penalty on a meta tensor")
    expect.true(got.device.type == "meta", f"l2_penalty of a meta tensor came back on {got.device}")
    expect.shape(got, (), "l2_penalty on a meta tensor")


# ---------------------------------------------------------------- train_weight_decay

@check(points=3, clause="penalty_mode")
def test_penalty_mode_matches_reference(student, reference, device, rng):
    """mode="penalty" gives the reference's (w, b)."""
    p = _problem(rng, device, full_batches=(5, 6))
    got = student.train_weight_decay(p["X"], p["y"], _lam(student, p, "penalty"), **_kwargs(p, "penalty"))
    exp, _ = reference_call(reference.train_weight_decay, p["X"], p["y"], p["lam"], **_kwargs(p, "penalty"))
    _expect_wb(got, exp, 'train_weight_decay(mode="penalty")')


@check(points=3, clause="optimizer_mode")
def test_optimizer_mode_matches_reference(student, reference, device, rng):
    """mode="optimizer" gives the reference's (w, b)."""
    p = _problem(rng, device, full_batches=(5, 6))
    got = student.train_weight_decay(p["X"], p["y"], p["lam"], **_kwargs(p, "optimizer"))
    exp, _ = reference_call(reference.train_weight_decay, p["X"], p["y"], p["lam"], **_kwargs(p, "optimizer"))
    _expect_wb(got, exp, 'train_weight_decay(mode="optimizer")')


def _same_as_reference(student, reference, p: dict, mode: str, what: str) -> None:
    got = student.train_weight_decay(p["X"], p["y"], _lam(student, p, mode), **_kwargs(p, mode))
    exp, _ = reference_call(reference.train_weight_decay, p["X"], p["y"], p["lam"], **_kwargs(p, mode))
    _expect_wb(got, exp, what)


@check(points=1, clause="partial_batch")
def test_last_smaller_minibatch(student, reference, device, rng):
    """When batch_size does not divide n, the last, smaller minibatch is used too."""
    p = _problem(rng, device, full_batches=(3, 5), partial=True)
    _same_as_reference(student, reference, p, "penalty",
                       f"train_weight_decay on {len(p['X'])} examples in minibatches of {p['batch_size']}")


@check(points=1, clause="flat_targets")
def test_flat_targets(student, reference, device, rng):
    """Targets of shape (n,) are reshaped to (n, 1), not broadcast against the (n, 1) predictions."""
    p = _problem(rng, device, column=False, full_batches=(3, 5))
    _same_as_reference(student, reference, p, "penalty", "train_weight_decay with targets of shape (n,)")


@check(points=2, clause="bias_not_decayed")
def test_bias_is_not_decayed(student, reference, device, rng):
    """The bias is never decayed: with all-zero inputs w stays 0 and b follows plain SGD, in both modes."""
    n, batch, lr, lam, epochs = 5 * _int(rng, 2, 3), 5, 0.2, 3.0, 3
    X = torch.zeros(n, 3, device=device)
    y = (2.0 + torch.randn(n, 1, generator=rng)).to(device)
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


@check(points=1, clause="plain_any")
def test_lambda_zero_is_plain_regression(student, reference, device, rng):
    """With lam = 0 both modes are plain minibatch linear regression."""
    p = _problem(rng, device)
    exp, _ = reference_call(reference.train_weight_decay, p["X"], p["y"], 0.0, **_kwargs(p, "penalty"))
    for mode in ("penalty", "optimizer"):
        got = student.train_weight_decay(p["X"], p["y"], 0.0, **_kwargs(p, mode))
        _expect_wb(got, exp, f"train_weight_decay(lam=0, mode={mode!r})")


@check(points=1, clause="float64")
def test_float64(student, reference, device, rng):
    """float64 data give float64 (w, b) equal to the reference's, in both modes."""
    p = _problem(rng, device, dtype=torch.float64)
    for mode in ("penalty", "optimizer"):
        _same_as_reference(student, reference, p, mode, f"train_weight_decay on float64 data (mode={mode!r})")


@check(points=1, clause="inputs_device")
def test_inputs_unchanged(student, reference, device, rng):
    """train_weight_decay leaves X and y as they were, and makes w and b on X's device (meta too)."""
    p = _problem(rng, device, epochs=1)
    _, records = student.call_recorded("train_weight_decay", p["X"], p["y"], p["lam"], **_kwargs(p, "optimizer"))
    expect.equal(records["args_after"][0], p["X"], what="X after train_weight_decay")
    expect.equal(records["args_after"][1], p["y"], what="y after train_weight_decay")
    X, y = torch.empty(10, 3, device="meta"), torch.empty(10, 1, device="meta")
    for mode in ("penalty", "optimizer"):
        for i in (0, 1):
            expect.keeps_meta_device(lambda: student.train_weight_decay(X, y, 0.5, mode=mode, num_epochs=1)[i],
                                     f"train_weight_decay(X on meta, mode={mode!r})[{i}]")
