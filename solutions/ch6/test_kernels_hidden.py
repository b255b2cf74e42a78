"""Hidden checks for ch6.kernels: the hand-made kernels, corr2d_as_matmul and convolve2d against the reference.

The kernel builders are compared entry by entry (float32, CPU, exact shapes); corr2d_as_matmul and
convolve2d get random non-square inputs and kernels, so a flip on one axis only, a transposed
matrix or a column-major flattening shows. The built-in convolutions are banned through
course.toml for corr2d_as_matmul and convolve2d.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch6.kernels"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "blur_example": "blur_kernel() is the 3 x 3 float32 tensor of 1/9; blur_kernel(5) and blur_kernel(1) likewise",
    "edge_kernels": "edge_kernel is 8 in the centre and -1 around; horizontal_edge_kernel has rows -1, 0, 1 (float32)",
    "difference_example": "difference_kernel gives [[1, -1]], [[1, -2, 1]], [[1, -3, 3, -1]] and takes the 4th "
                          "derivative of t**4",
    "matmul_example": "corr2d_as_matmul((3, 3), [[0, 1], [2, 3]]) is the (4, 9) matrix of the text and reproduces corr2d",
    "convolve_example": "convolve2d flips the kernel on both axes: [[5, 11], [23, 29]] for the worked example",
    "blur_any": "blur_kernel(k) is the (k, k) float32 tensor of 1 / k**2 for any k >= 1",
    "blur_error": "blur_kernel raises ValueError for k < 1",
    "difference_any": "difference_kernel(order) is the (1, order + 1) float32 row of (-1)^j C(order, j), [[1.]] for 0",
    "difference_error": "difference_kernel raises ValueError for a negative order",
    "matmul_any": "corr2d_as_matmul gives the (h' * w', h * w) matrix for any input shape and kernel",
    "matmul_dtype_device": "corr2d_as_matmul's matrix has K's dtype and device",
    "matmul_error": "corr2d_as_matmul raises ValueError when K does not fit",
    "convolve_any": "convolve2d is the valid convolution for any shapes, a kernel as large as X included",
    "convolve_dtype_device": "convolve2d keeps X's dtype (float64, float16) and device and leaves X and K unchanged",
    "convolve_error": "convolve2d raises ValueError when K does not fit",
}

SUM_TOL = {"rtol": 1e-5, "atol": 1e-5}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _sizes(rng: torch.Generator) -> tuple[int, int, int, int]:
    """(h, w, kh, kw) with h != w and kh != kw."""
    h, w = _int(rng, 2, 7), _int(rng, 2, 7)
    if h == w:
        w += 1
    kh, kw = _int(rng, 1, min(h, 4)), _int(rng, 1, min(w, 4))
    if kh == kw:
        if kh < min(h, 4):
            kh += 1
        elif kw > 1:
            kw -= 1
    return h, w, kh, kw


# ---------------------------------------------------------------- kernel builders

@check(points=2, clause="blur_any")
def test_blur_kernel_sizes(student, reference, device, rng):
    """blur_kernel(k) is the (k, k) float32 box blur for several k, and the default is 3."""
    for k in sorted({1, 2, _int(rng, 3, 6), _int(rng, 7, 11)}):
        expect.close(student.blur_kernel(k), reference.blur_kernel(k), what=f"blur_kernel({k})")
    expect.close(student.blur_kernel(), reference.blur_kernel(3), what="blur_kernel() (default k = 3)")


@check(points=1, clause="blur_error")
def test_blur_kernel_bad_size(student, reference, device, rng):
    """blur_kernel raises ValueError for a size below 1."""
    for k in (0, -_int(rng, 1, 5)):
        with expect.raises(ValueError, what=f"blur_kernel({k})"):
            student.blur_kernel(k)


@check(points=2, clause="difference_any")
def test_difference_kernel_orders(student, reference, device, rng):
    """difference_kernel(order) is the (1, order + 1) float32 row of signed binomial coefficients."""
    orders = sorted({0, 1, 2, _int(rng, 3, 6), _int(rng, 7, 12), 16})
    for order in orders:
        expect.equal(student.difference_kernel(order), reference.difference_kernel(order),
                     what=f"difference_kernel({order})")


@check(points=1, clause="difference_error")
def test_difference_kernel_negative_order(student, reference, device, rng):
    """difference_kernel raises ValueError for a negative order."""
    for order in (-1, -_int(rng, 2, 6)):
        with expect.raises(ValueError, what=f"difference_kernel({order})"):
            student.difference_kernel(order)


# ---------------------------------------------------------------- corr2d_as_matmul

@check(points=3, clause="matmul_any")
def test_corr2d_as_matmul_random(student, reference, device, rng):
    """corr2d_as_matmul matches the reference matrix for random non-square inputs and kernels."""
    for _ in range(4):
        h, w, kh, kw = _sizes(rng)
        K = torch.randn(kh, kw, generator=rng).to(device)
        expect.close(student.corr2d_as_matmul((h, w), K), reference.corr2d_as_matmul((h, w), K),
                     what=f"corr2d_as_matmul(({h}, {w}), {kh}x{kw} kernel)")
    K = torch.randn(3, 2, generator=rng).to(device)
    expect.close(student.corr2d_as_matmul((3, 2), K), reference.corr2d_as_matmul((3, 2), K),
                 what="corr2d_as_matmul with a kernel as large as the input (one row)")


@check(points=1, clause="matmul_dtype_device")
def test_corr2d_as_matmul_dtype_device(student, reference, device, rng):
    """corr2d_as_matmul takes K's float64 dtype and its device (meta too)."""
    h, w, kh, kw = _sizes(rng)
    K = torch.randn(kh, kw, generator=rng, dtype=torch.float64).to(device)
    expect.close(student.corr2d_as_matmul((h, w), K), reference.corr2d_as_matmul((h, w), K),
                 what="corr2d_as_matmul with a float64 kernel")
    Km = torch.empty(kh, kw, device="meta")
    expect.close(student.corr2d_as_matmul((h, w), Km), reference.corr2d_as_matmul((h, w), Km),
                 what="corr2d_as_matmul with a kernel on the meta device")


@check(points=1, clause="matmul_error")
def test_corr2d_as_matmul_too_large(student, reference, device, rng):
    """corr2d_as_matmul raises ValueError when the kernel is taller or wider than the input."""
    h, w = _int(rng, 2, 5), _int(rng, 2, 5)
    for kshape in ((h + 1, 1), (1, w + 1), (h + 2, w)):
        K = torch.randn(*kshape, generator=rng).to(device)
        with expect.raises(ValueError, what=f"corr2d_as_matmul(({h}, {w}), {kshape} kernel)"):
            student.corr2d_as_matmul((h, w), K)


# ---------------------------------------------------------------- convolve2d

@check(points=3, clause="convolve_any")
def test_convolve2d_random(student, reference, device, rng):
    """convolve2d matches the reference (kernel flipped on both axes) on random non-square inputs, and with a kernel as large as X."""
    for _ in range(4):
        h, w, kh, kw = _sizes(rng)
        X = torch.randn(h, w, generator=rng).to(device)
        K = torch.randn(kh, kw, generator=rng).to(device)
        expect.close(student.convolve2d(X, K), reference.convolve2d(X, K), **SUM_TOL,
                     what=f"convolve2d of a {h}x{w} input with a {kh}x{kw} kernel")
    h, w, _, _ = _sizes(rng)
    X = torch.randn(h, w, generator=rng).to(device)
    K = torch.randn(h, w, generator=rng).to(device)
    expect.close(student.convolve2d(X, K), reference.convolve2d(X, K), **SUM_TOL,
                 what=f"convolve2d of a {h}x{w} input with a kernel as large as the input (one value)")


@check(points=1, clause="convolve_dtype_device")
def test_convolve2d_dtype_device_input_unchanged(student, reference, device, rng):
    """convolve2d keeps the dtype (float64, float16) and the device (meta too) and leaves X and K unchanged."""
    h, w, kh, kw = _sizes(rng)
    kh, kw = min(kh, h - 1), min(kw, w - 1)   # the dtype is this check's concern, not a full-size kernel
    for dtype in (torch.float64, torch.float16):
        X = torch.randn(h, w, generator=rng).to(dtype).to(device)
        K = torch.randn(kh, kw, generator=rng).to(dtype).to(device)
        got, records = student.call_recorded("convolve2d", X, K)
        expect.dtype(expect.tensor(got, f"convolve2d of {dtype} tensors"), dtype, f"convolve2d of {dtype} tensors")
        expect.close(got, reference.convolve2d(X, K), **({} if dtype == torch.float64 else {"rtol": 1e-2, "atol": 1e-2}),
                     what=f"convolve2d of {dtype} tensors")
        expect.equal(records["args_after"][0], X, what="X after convolve2d")
        expect.equal(records["args_after"][1], K, what="K after convolve2d")
    Xm, Km = torch.empty(h, w, device="meta"), torch.empty(kh, kw, device="meta")
    expect.close(student.convolve2d(Xm, Km), reference.convolve2d(Xm, Km), what="convolve2d on the meta device")


@check(points=1, clause="convolve_error")
def test_convolve2d_too_large(student, reference, device, rng):
    """convolve2d raises ValueError when the kernel is taller or wider than the input."""
    h, w = _int(rng, 2, 5), _int(rng, 2, 5)
    X = torch.randn(h, w, generator=rng).to(device)
    for kshape in ((h + 1, 1), (1, w + 1), (h + 1, w + 1)):
        K = torch.randn(*kshape, generator=rng).to(device)
        with expect.raises(ValueError, what=f"convolve2d of a {h}x{w} input with a {kshape} kernel"):
            student.convolve2d(X, K)
