"""Hidden checks for ch6.channels: corr2d_multi_in, corr2d_multi_in_out and corr2d_1x1 against the reference.

Channel counts differ between input and output (co != ci), kernels are not square and inputs not
square, so a transposed weight matrix, a swapped kernel axis or a mean instead of a sum over
channels shows. Channel mismatches include the case where one side has a single channel (which
broadcasting would silently accept). The built-in convolutions are banned through course.toml.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect
from grader.checks.opcount import total

EXERCISE = "ch6.channels"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "multi_in_example": "corr2d_multi_in of the text's two-channel example is the sum of the channels' results",
    "multi_in_out_example": "corr2d_multi_in_out gives one output channel per kernel K[o]",
    "1x1_example": "corr2d_1x1 mixes the channels at every pixel with the (co, ci) weights",
    "1x1_agrees_example": "corr2d_1x1 agrees with corr2d_multi_in_out on 1x1 kernels",
    "multi_in_any": "corr2d_multi_in sums the valid cross-correlations of the channels, for any channels and shapes",
    "multi_in_errors": "corr2d_multi_in raises ValueError on a channel mismatch (one channel included) and a too-large kernel",
    "multi_in_dtype_device": "corr2d_multi_in keeps X's dtype (float64, float16) and device",
    "multi_in_out_any": "corr2d_multi_in_out for co != ci and non-square kernels",
    "multi_in_out_errors": "corr2d_multi_in_out raises ValueError when the kernels' input channels differ from X's",
    "multi_in_out_dtype_device": "corr2d_multi_in_out keeps X's dtype (float64, float16) and device",
    "1x1_any": "corr2d_1x1 for co != ci on non-square inputs",
    "1x1_one_matmul": "corr2d_1x1 is one matrix multiplication of the (co, ci) weights with the (ci, h * w) pixels",
    "1x1_errors": "corr2d_1x1 raises ValueError on a channel mismatch and for kernels that are not 1x1",
    "1x1_dtype_device": "corr2d_1x1 keeps X's dtype (float64, float16) and device and leaves X unchanged",
}

# aten's matrix products: x @ y, torch.matmul, torch.mm, einsum and tensordot all arrive as one of these
PRODUCTS = ("mm", "bmm", "mv", "dot", "matmul", "addmm", "addmv", "baddbmm", "addbmm", "vdot")

SUM_TOL = {"rtol": 1e-5, "atol": 1e-5}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _sizes(rng: torch.Generator) -> tuple[int, int, int, int]:
    """(h, w, kh, kw) with h != w and kh != kw."""
    h, w = _int(rng, 3, 7), _int(rng, 3, 7)
    if h == w:
        w += 1
    kh, kw = _int(rng, 1, 3), _int(rng, 1, 3)
    if kh == kw:
        kw = kh % 3 + 1
    return h, w, kh, kw


def _channels(rng: torch.Generator) -> tuple[int, int]:
    """(ci, co) with ci != co."""
    ci, co = _int(rng, 2, 4), _int(rng, 1, 4)
    if co == ci:
        co = ci % 4 + 1
    return ci, co


def _expect_dtype(got, expected: torch.Tensor, dtype: torch.dtype, what: str) -> None:
    """The dtype exactly; the values within that dtype's rounding of a few products."""
    expect.dtype(expect.tensor(got, what), dtype, what)
    expect.close(got, expected, **({} if dtype == torch.float64 else {"rtol": 1e-2, "atol": 1e-2}), what=what)


# ---------------------------------------------------------------- corr2d_multi_in

@check(points=3, clause="multi_in_any")
def test_multi_in_random(student, reference, device, rng):
    """corr2d_multi_in matches the reference for random channels, non-square inputs and kernels."""
    for _ in range(4):
        h, w, kh, kw = _sizes(rng)
        ci = _int(rng, 1, 4)
        X = torch.randn(ci, h, w, generator=rng).to(device)
        K = torch.randn(ci, kh, kw, generator=rng).to(device)
        expect.close(student.corr2d_multi_in(X, K), reference.corr2d_multi_in(X, K), **SUM_TOL,
                     what=f"corr2d_multi_in of a {(ci, h, w)} input with a {(ci, kh, kw)} kernel")
    X = torch.randn(3, 4, 5, generator=rng).to(device)
    K = torch.randn(3, 4, 5, generator=rng).to(device)
    expect.close(student.corr2d_multi_in(X, K), reference.corr2d_multi_in(X, K), **SUM_TOL,
                 what="corr2d_multi_in with a kernel as large as the input (1x1 output)")


@check(points=2, clause="multi_in_errors")
def test_multi_in_errors(student, reference, device, rng):
    """corr2d_multi_in raises ValueError on a channel mismatch (also with one channel on either side) and a too-large kernel."""
    ci = _int(rng, 2, 4)
    X = torch.randn(ci, 5, 4, generator=rng).to(device)
    for kshape in ((1, 2, 2), (ci + 1, 2, 2), (ci, 6, 1), (ci, 1, 5)):
        K = torch.randn(*kshape, generator=rng).to(device)
        with expect.raises(ValueError, what=f"corr2d_multi_in of a {tuple(X.shape)} input with a {kshape} kernel"):
            student.corr2d_multi_in(X, K)
    with expect.raises(ValueError, what=f"corr2d_multi_in of a (1, 5, 4) input with a ({ci}, 2, 2) kernel"):
        student.corr2d_multi_in(X[:1], torch.randn(ci, 2, 2, generator=rng).to(device))


@check(points=1, clause="multi_in_dtype_device")
def test_multi_in_dtype_and_device(student, reference, device, rng):
    """corr2d_multi_in keeps the dtype (float64, and float16, which float32 zeros would promote) and the device (meta too)."""
    h, w, kh, kw = _sizes(rng)
    for dtype in (torch.float64, torch.float16):
        X = torch.randn(3, h, w, generator=rng).to(dtype).to(device)
        K = torch.randn(3, kh, kw, generator=rng).to(dtype).to(device)
        _expect_dtype(student.corr2d_multi_in(X, K), reference.corr2d_multi_in(X, K), dtype,
                      f"corr2d_multi_in of {dtype} tensors")
    Xm, Km = torch.empty(3, h, w, device="meta"), torch.empty(3, kh, kw, device="meta")
    expect.close(student.corr2d_multi_in(Xm, Km), reference.corr2d_multi_in(Xm, Km),
                 what="corr2d_multi_in on the meta device")


# ---------------------------------------------------------------- corr2d_multi_in_out

@check(points=3, clause="multi_in_out_any")
def test_multi_in_out_random(student, reference, device, rng):
    """corr2d_multi_in_out matches the reference with co != ci and non-square kernels."""
    for _ in range(3):
        h, w, kh, kw = _sizes(rng)
        ci, co = _channels(rng)
        X = torch.randn(ci, h, w, generator=rng).to(device)
        K = torch.randn(co, ci, kh, kw, generator=rng).to(device)
        expect.close(student.corr2d_multi_in_out(X, K), reference.corr2d_multi_in_out(X, K), **SUM_TOL,
                     what=f"corr2d_multi_in_out of a {(ci, h, w)} input with {(co, ci, kh, kw)} kernels")


@check(points=1, clause="multi_in_out_errors")
def test_multi_in_out_errors(student, reference, device, rng):
    """corr2d_multi_in_out raises ValueError when the kernels' input channels differ from X's channels."""
    ci, co = _channels(rng)
    X = torch.randn(ci, 4, 5, generator=rng).to(device)
    for kshape in ((co, ci + 1, 2, 2), (co, 1, 2, 2), (ci, co, 2, 2) if co != 1 else (ci, ci + 2, 2, 2)):
        K = torch.randn(*kshape, generator=rng).to(device)
        with expect.raises(ValueError, what=f"corr2d_multi_in_out of a {tuple(X.shape)} input with {kshape} kernels"):
            student.corr2d_multi_in_out(X, K)


@check(points=1, clause="multi_in_out_dtype_device")
def test_multi_in_out_dtype_and_device(student, reference, device, rng):
    """corr2d_multi_in_out keeps the dtype (float64, float16) and the device (meta too)."""
    h, w, kh, kw = _sizes(rng)
    ci, co = _channels(rng)
    for dtype in (torch.float64, torch.float16):
        X = torch.randn(ci, h, w, generator=rng).to(dtype).to(device)
        K = torch.randn(co, ci, kh, kw, generator=rng).to(dtype).to(device)
        _expect_dtype(student.corr2d_multi_in_out(X, K), reference.corr2d_multi_in_out(X, K), dtype,
                      f"corr2d_multi_in_out of {dtype} tensors")
    Xm, Km = torch.empty(ci, h, w, device="meta"), torch.empty(co, ci, kh, kw, device="meta")
    expect.close(student.corr2d_multi_in_out(Xm, Km), reference.corr2d_multi_in_out(Xm, Km),
                 what="corr2d_multi_in_out on the meta device")


# ---------------------------------------------------------------- corr2d_1x1

@check(points=3, clause="1x1_any")
def test_1x1_random(student, reference, device, rng):
    """corr2d_1x1 matches the reference with co != ci on non-square inputs."""
    for _ in range(3):
        h, w, _, _ = _sizes(rng)
        ci, co = _channels(rng)
        X = torch.randn(ci, h, w, generator=rng).to(device)
        K = torch.randn(co, ci, 1, 1, generator=rng).to(device)
        expect.close(student.corr2d_1x1(X, K), reference.corr2d_1x1(X, K), **SUM_TOL,
                     what=f"corr2d_1x1 of a {(ci, h, w)} input with {(co, ci, 1, 1)} kernels")


@check(points=1, clause="1x1_one_matmul")
def test_1x1_is_one_matmul(student, reference, device, rng):
    """corr2d_1x1 runs exactly one matrix product (counted), not a loop of products over channels or pixels."""
    h, w, _, _ = _sizes(rng)
    ci, co = _channels(rng)
    co = max(co, 2)
    X = torch.randn(ci, h, w, generator=rng).to(device)
    K = torch.randn(co, ci, 1, 1, generator=rng).to(device)
    _, records = student.call_recorded("corr2d_1x1", X, K, _count_ops=PRODUCTS)
    products = total(records.get("ops"))
    expect.true(products == 1, f"corr2d_1x1 of a {(ci, h, w)} input with {(co, ci, 1, 1)} kernels ran {products} "
                "matrix products: reshape to (co, ci) @ (ci, h * w) and multiply once")


@check(points=1, clause="1x1_errors")
def test_1x1_errors(student, reference, device, rng):
    """corr2d_1x1 raises ValueError on a channel mismatch and for kernels that are not 1x1."""
    ci, co = _channels(rng)
    X = torch.randn(ci, 3, 4, generator=rng).to(device)
    for kshape in ((co, ci + 1, 1, 1), (co, 1, 1, 1), (co, ci, 3, 3), (co, ci, 1, 2)):
        K = torch.randn(*kshape, generator=rng).to(device)
        with expect.raises(ValueError, what=f"corr2d_1x1 of a {tuple(X.shape)} input with {kshape} kernels"):
            student.corr2d_1x1(X, K)


@check(points=1, clause="1x1_dtype_device")
def test_1x1_dtype_device_and_input_unchanged(student, reference, device, rng):
    """corr2d_1x1 keeps the dtype (float64, float16) and the device (meta too) and leaves X unchanged."""
    h, w, _, _ = _sizes(rng)
    ci, co = _channels(rng)
    for dtype in (torch.float64, torch.float16):
        X = torch.randn(ci, h, w, generator=rng).to(dtype).to(device)
        K = torch.randn(co, ci, 1, 1, generator=rng).to(dtype).to(device)
        got, records = student.call_recorded("corr2d_1x1", X, K)
        _expect_dtype(got, reference.corr2d_1x1(X, K), dtype, f"corr2d_1x1 of {dtype} tensors")
        expect.equal(records["args_after"][0], X, what="X after corr2d_1x1")
    Xm, Km = torch.empty(ci, h, w, device="meta"), torch.empty(co, ci, 1, 1, device="meta")
    expect.close(student.corr2d_1x1(Xm, Km), reference.corr2d_1x1(Xm, Km), what="corr2d_1x1 on the meta device")
