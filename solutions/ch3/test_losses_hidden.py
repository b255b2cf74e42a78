"""Hidden checks for ch3.losses: l1_loss, mse_loss and huber_loss against the reference.

Inputs are seeded random tensors of several ranks with non-square shapes, so a mean over the
rows only, or a sum taken before the mean, cannot come out the same. Every function gets its own
checks, so a bug in one loss costs that loss's points only.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect, reference_call, StudentException

EXERCISE = "ch3.losses"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "l1_example": "l1_loss is |y_hat - y| entry by entry (the text's table, its sum and mean)",
    "mse_example": "mse_loss is (y_hat - y)^2 entry by entry (the text's table; a residual of 100 costs 10 000)",
    "huber_example": "huber_loss is r^2 / 2 for |r| <= delta, else delta (|r| - delta / 2) (the text's table)",
    "huber_delta_two": "huber_loss follows delta (the worked example with delta = 2)",
    "mean_every_entry": "the mean reduction divides by the number of entries, not of rows",
    "value_errors": "different shapes, or a reduction other than mean, sum, none, raise ValueError",
    "l1_reductions": "l1_loss is right for any shape with every reduction",
    "mse_reductions": "mse_loss is right for any shape with every reduction",
    "huber_reductions": "huber_loss with the default delta is right for any shape with every reduction",
    "huber_any_delta": "huber_loss is right for any positive delta, below 1 too, and at |r| = delta exactly",
    "huber_delta_error": "huber_loss raises ValueError when delta is not positive",
    "l1_dtype_device": "l1_loss keeps the inputs' dtype and device; a reduced result is 0-d",
    "mse_dtype_device": "mse_loss keeps the inputs' dtype and device; a reduced result is 0-d",
    "huber_dtype_device": "huber_loss keeps the inputs' dtype and device; a reduced result is 0-d",
    "l1_inputs": "l1_loss leaves its inputs unchanged",
    "mse_inputs": "mse_loss leaves its inputs unchanged",
    "huber_inputs": "huber_loss leaves its inputs unchanged",
}

SHAPES = [(3, 5), (2, 3, 4)]


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _pair(rng: torch.Generator, shape, device, dtype=torch.float32, scale: float = 2.0):
    y_hat = (torch.randn(shape, generator=rng) * scale).to(dtype).to(device)
    y = (torch.randn(shape, generator=rng) * scale).to(dtype).to(device)
    return y_hat, y


def _kwargs(name: str, delta: float | None) -> dict:
    return {"delta": delta} if name == "huber_loss" and delta is not None else {}


def _matches_reference(student, reference, device, rng, name: str, delta: float | None = None,
                       reductions=("none", "sum", "mean"), default: bool = True) -> None:
    fn = getattr(reference, name)
    for k, shape in enumerate(SHAPES):
        y_hat, y = _pair(rng, shape, device)
        for reduction in (reductions if k == 0 else reductions[-1:]):
            kw = dict(_kwargs(name, delta), reduction=reduction)
            got = student.call(name, y_hat, y, **kw)
            expect.close(got, fn(y_hat, y, **kw), what=f"{name} on shape {shape}, reduction={reduction!r}")
    if not default:
        return
    # The default reduction is the mean.
    y_hat, y = _pair(rng, (4, 6), device)
    expect.close(student.call(name, y_hat, y, **_kwargs(name, delta)), fn(y_hat, y, **_kwargs(name, delta)),
                 what=f"{name} with the default reduction")


def _keeps_dtype_and_device(student, reference, device, rng, name: str) -> None:
    fn = getattr(reference, name)
    for dtype, reduction in ((torch.float64, "none"),):
        y_hat, y = _pair(rng, (5, 3), device, dtype=dtype)
        got = student.call(name, y_hat, y, reduction=reduction)
        expect.close(got, fn(y_hat, y, reduction=reduction), what=f"{name} on {dtype} inputs, reduction={reduction!r}")
    # meta tensors: only shape, dtype and device come back, on any machine. Some correct
    # solutions (boolean-mask indexing) cannot run on meta tensors; they are not penalised here.
    meta = torch.empty(4, 2, device="meta")
    try:
        got = student.call(name, meta, meta.clone(), reduction="sum")
    except StudentException:
        return
    got = expect.tensor(got, f"{name} on meta tensors")
    expect.shape(got, (), f"{name} on meta tensors, reduction='sum'")
    expect.true(got.device.type == "meta", f"{name} moved its result from the inputs' device to {got.device}")


def _leaves_inputs(student, device, rng, name: str) -> None:
    y_hat, y = _pair(rng, (5, 4), device)
    _, records = student.call_recorded(name, y_hat, y, reduction="none")
    expect.equal(records["args_after"][0], y_hat, what=f"y_hat after {name}")
    expect.equal(records["args_after"][1], y, what=f"y after {name}")


# ---------------------------------------------------------------- l1_loss

@check(points=3, clause="l1_reductions")
def test_l1_matches_reference(student, reference, device, rng):
    """l1_loss matches the reference for every reduction on tensors of rank 1 to 3."""
    _matches_reference(student, reference, device, rng, "l1_loss")


@check(points=1, clause="l1_dtype_device")
def test_l1_dtype_and_device(student, reference, device, rng):
    """l1_loss keeps float64 and the inputs' device."""
    _keeps_dtype_and_device(student, reference, device, rng, "l1_loss")


@check(points=1, clause="l1_inputs")
def test_l1_inputs_unchanged(student, device, rng):
    """l1_loss leaves its inputs unchanged."""
    _leaves_inputs(student, device, rng, "l1_loss")


# ---------------------------------------------------------------- mse_loss

@check(points=3, clause="mse_reductions")
def test_mse_matches_reference(student, reference, device, rng):
    """mse_loss matches the reference for every reduction on tensors of rank 1 to 3."""
    _matches_reference(student, reference, device, rng, "mse_loss")


@check(points=1, clause="mse_dtype_device")
def test_mse_dtype_and_device(student, reference, device, rng):
    """mse_loss keeps float64 and the inputs' device."""
    _keeps_dtype_and_device(student, reference, device, rng, "mse_loss")


@check(points=1, clause="mse_inputs")
def test_mse_inputs_unchanged(student, device, rng):
    """mse_loss leaves its inputs unchanged."""
    _leaves_inputs(student, device, rng, "mse_loss")


# ---------------------------------------------------------------- huber_loss

@check(points=2, clause="huber_reductions")
def test_huber_matches_reference(student, reference, device, rng):
    """huber_loss with the default delta matches the reference for every reduction."""
    _matches_reference(student, reference, device, rng, "huber_loss")


@check(points=2, clause="huber_any_delta")
def test_huber_other_deltas(student, reference, device, rng):
    """huber_loss with delta != 1 (both branches, and |r| == delta exactly) matches the reference."""
    for delta in (0.25, 1.5 + float(torch.rand(1, generator=rng))):
        _matches_reference(student, reference, device, rng, "huber_loss", delta=delta, reductions=("none", "mean"),
                           default=False)
    # Residuals exactly at +-delta, where the two branches meet.
    y = torch.randn(6, generator=rng).to(device)
    offsets = torch.tensor([2.0, -2.0, 0.0, 1.0, -3.0, 2.0], device=device)
    got = student.huber_loss(y + offsets, y, delta=2.0, reduction="none")
    expect.close(got, reference.huber_loss(y + offsets, y, delta=2.0, reduction="none"),
                 what="huber_loss(delta=2) with residuals at +-delta")


@check(points=1, clause="huber_dtype_device")
def test_huber_dtype_and_device(student, reference, device, rng):
    """huber_loss keeps float64 and the inputs' device."""
    _keeps_dtype_and_device(student, reference, device, rng, "huber_loss")


@check(points=1, clause="huber_delta_error")
def test_huber_errors(student, device, rng):
    """huber_loss raises ValueError when delta is 0 or negative."""
    y_hat, y = _pair(rng, (4,), device)
    for delta in (0.0, -1.0):
        with expect.raises(ValueError, what=f"huber_loss(..., delta={delta})"):
            student.huber_loss(y_hat, y, delta=delta)


@check(points=1, clause="huber_inputs")
def test_huber_inputs_unchanged(student, device, rng):
    """huber_loss leaves its inputs unchanged."""
    _leaves_inputs(student, device, rng, "huber_loss")
