"""Hidden checks for ch6.padding_stride: conv_output_size, corr1d and corr2d_pad_stride against the reference.

Sizes are drawn from `rng` so that the division by the stride usually leaves a remainder (a
ceiling instead of a floor shows) and padding and stride differ between rows and columns (a
swapped pair or a stride applied to one axis only shows). The built-in convolutions are banned
through course.toml.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch6.padding_stride"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "size_examples": "conv_output_size gives the text's sizes (32 -> 28, same padding, AlexNet, the MNIST net)",
    "size_errors": "conv_output_size raises ValueError when k > n + 2 * padding, stride < 1 or padding < 0",
    "size_any": "conv_output_size is floor((n - k + 2p) / s) + 1 as a Python int for any sizes, keywords too",
    "size_defaults_fit": "padding 0 and stride 1 by default; a kernel that exactly fits the padded input gives 1",
    "corr1d_example": "corr1d of [1, 0, 2, -1, 1, 2] with [1, 0, -1] is [-1, 1, 1, -3]; a kernel longer than the "
                      "signal raises ValueError",
    "corr1d_any": "corr1d is the valid 1-D cross-correlation for any lengths, a kernel as long as x included",
    "corr1d_dtype_device": "corr1d keeps x's dtype (float64, float16) and device",
    "corr2d_example": "corr2d_pad_stride of the 3x3 / 2x2 example with padding 1, with stride (3, 2) and without both",
    "corr2d_shapes_example": "corr2d_pad_stride gives the shapes conv_output_size predicts",
    "corr2d_int": "int padding and stride apply to both axes, for random non-square inputs",
    "corr2d_pairs": "pairs give the padding and the stride for rows and for columns",
    "corr2d_defaults": "without padding and stride corr2d_pad_stride is the valid cross-correlation",
    "corr2d_dtype_device": "corr2d_pad_stride keeps X's dtype (float64, float16) and device, and leaves X unchanged",
    "corr2d_errors": "corr2d_pad_stride raises ValueError in the cases conv_output_size does",
}

# Summation order differs between correct solutions (offset loops, output loops, unfold).
SUM_TOL = {"rtol": 1e-5, "atol": 1e-5}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _case(rng: torch.Generator) -> tuple[int, int, int, int, int, int, int, int, int, int]:
    """(h, w, kh, kw, ph, pw, sh, sw): non-square everything, ph != pw and sh != sw."""
    h, w = _int(rng, 3, 9), _int(rng, 3, 9)
    if h == w:
        w += 1
    ph, pw = _int(rng, 0, 2), _int(rng, 0, 2)
    if ph == pw:
        pw = (ph + 1) % 3
    sh, sw = _int(rng, 1, 3), _int(rng, 1, 3)
    if sh == sw:
        sw = sh % 3 + 1
    kh, kw = _int(rng, 1, min(5, h + 2 * ph)), _int(rng, 1, min(5, w + 2 * pw))
    if kh == kw:
        kh = kh + 1 if kh < min(5, h + 2 * ph) else kh - 1 if kh > 1 else kh
    return h, w, kh, kw, ph, pw, sh, sw


# ---------------------------------------------------------------- conv_output_size

@check(points=2, clause="size_any")
def test_conv_output_size_random(student, reference, device, rng):
    """conv_output_size matches floor((n - k + 2p) / s) + 1 on random sizes, as a Python int."""
    for _ in range(25):
        n, s = _int(rng, 1, 300), _int(rng, 1, 7)
        p = _int(rng, 0, 4)
        k = _int(rng, 1, n + 2 * p)
        got = student.conv_output_size(n, k, p, s)
        exp = reference.conv_output_size(n, k, p, s)
        expect.true(type(got) is int and got == exp,
                    f"conv_output_size({n}, {k}, padding={p}, stride={s}) returned {got!r}, expected {exp}")
    got = student.conv_output_size(n=17, k=4, stride=3, padding=2)
    expect.true(got == 6, f"conv_output_size(n=17, k=4, stride=3, padding=2) returned {got!r}, expected 6")


@check(points=1, clause="size_defaults_fit")
def test_conv_output_size_defaults_and_exact_fit(student, reference, device, rng):
    """conv_output_size defaults to padding 0, stride 1, and a kernel that exactly fits gives 1."""
    n = _int(rng, 5, 60)
    expect.true(student.conv_output_size(n, 3) == n - 2, f"conv_output_size({n}, 3) should be {n - 2}")
    expect.true(student.conv_output_size(n, n) == 1, f"conv_output_size({n}, {n}) should be 1")
    expect.true(student.conv_output_size(n, n + 4, 2, 5) == 1,
                f"conv_output_size({n}, {n + 4}, 2, 5) should be 1 (the kernel fits once in the padded input)")


# ---------------------------------------------------------------- corr1d

@check(points=2, clause="corr1d_any")
def test_corr1d_random(student, reference, device, rng):
    """corr1d matches the reference on random signals and kernels, including a kernel as long as x."""
    for _ in range(4):
        n = _int(rng, 2, 20)
        m = _int(rng, 1, n)
        x = torch.randn(n, generator=rng).to(device)
        k = torch.randn(m, generator=rng).to(device)
        expect.close(student.corr1d(x, k), reference.corr1d(x, k), **SUM_TOL,
                     what=f"corr1d of a length-{n} signal with a length-{m} kernel")
    x = torch.randn(7, generator=rng).to(device)
    k = torch.randn(7, generator=rng).to(device)
    expect.close(student.corr1d(x, k), reference.corr1d(x, k), **SUM_TOL,
                 what="corr1d with a kernel as long as the signal (one value)")


@check(points=1, clause="corr1d_dtype_device")
def test_corr1d_dtype_and_device(student, reference, device, rng):
    """corr1d keeps the dtype (float64, and float16, which float32 zeros would promote) and the device (meta too)."""
    for dtype in (torch.float64, torch.float16):
        x = torch.randn(9, generator=rng).to(dtype).to(device)
        k = torch.randn(4, generator=rng).to(dtype).to(device)
        got = expect.tensor(student.corr1d(x, k), f"corr1d of {dtype} tensors")
        expect.dtype(got, dtype, f"corr1d of {dtype} tensors")
        expect.close(got, reference.corr1d(x, k), **({} if dtype == torch.float64 else {"rtol": 1e-2, "atol": 1e-2}),
                     what=f"corr1d of {dtype} tensors")
    xm, km = torch.empty(9, device="meta"), torch.empty(4, device="meta")
    expect.close(student.corr1d(xm, km), reference.corr1d(xm, km), what="corr1d of tensors on the meta device")


# ---------------------------------------------------------------- corr2d_pad_stride

@check(points=3, clause="corr2d_int")
def test_corr2d_int_padding_and_stride(student, reference, device, rng):
    """corr2d_pad_stride matches the reference for int padding and stride on random non-square inputs."""
    for _ in range(4):
        h, w, kh, kw, ph, _, sh, _ = _case(rng)
        X = torch.randn(h, w, generator=rng).to(device)
        K = torch.randn(kh, kw if kw <= w + 2 * ph else 1, generator=rng).to(device)
        what = f"corr2d_pad_stride of a {h}x{w} input, {tuple(K.shape)} kernel, padding={ph}, stride={sh}"
        expect.close(student.corr2d_pad_stride(X, K, ph, sh), reference.corr2d_pad_stride(X, K, ph, sh),
                     **SUM_TOL, what=what)


@check(points=3, clause="corr2d_pairs")
def test_corr2d_pairs(student, reference, device, rng):
    """corr2d_pad_stride matches the reference when padding and stride differ between rows and columns."""
    for _ in range(4):
        h, w, kh, kw, ph, pw, sh, sw = _case(rng)
        X = torch.randn(h, w, generator=rng).to(device)
        K = torch.randn(kh, kw, generator=rng).to(device)
        what = (f"corr2d_pad_stride of a {h}x{w} input, {kh}x{kw} kernel, padding=({ph}, {pw}), "
                f"stride=({sh}, {sw})")
        expect.close(student.corr2d_pad_stride(X, K, padding=(ph, pw), stride=(sh, sw)),
                     reference.corr2d_pad_stride(X, K, padding=(ph, pw), stride=(sh, sw)), **SUM_TOL, what=what)


@check(points=1, clause="corr2d_defaults")
def test_corr2d_defaults_are_plain_corr2d(student, reference, device, rng):
    """Without padding and stride, corr2d_pad_stride is the valid cross-correlation."""
    h, w, kh, kw, *_ = _case(rng)
    kh, kw = min(kh, h), min(kw, w)
    X = torch.randn(h, w, generator=rng).to(device)
    K = torch.randn(kh, kw, generator=rng).to(device)
    expect.close(student.corr2d_pad_stride(X, K), reference.corr2d_pad_stride(X, K), **SUM_TOL,
                 what=f"corr2d_pad_stride of a {h}x{w} input with a {kh}x{kw} kernel, default arguments")


@check(points=1, clause="corr2d_dtype_device")
def test_corr2d_dtype_device_input_unchanged(student, reference, device, rng):
    """corr2d_pad_stride keeps the dtype (float64, float16) and the device (meta too) and leaves X unchanged."""
    h, w, kh, kw, ph, pw, sh, sw = _case(rng)
    for dtype in (torch.float16, torch.float64):
        X = torch.randn(h, w, generator=rng).to(dtype).to(device)
        K = torch.randn(kh, kw, generator=rng).to(dtype).to(device)
        got, records = student.call_recorded("corr2d_pad_stride", X, K, (ph, pw), (sh, sw))
        expect.dtype(expect.tensor(got, f"corr2d_pad_stride of {dtype} tensors"), dtype,
                     f"corr2d_pad_stride of {dtype} tensors")
        expect.close(got, reference.corr2d_pad_stride(X, K, (ph, pw), (sh, sw)),
                     **({} if dtype == torch.float64 else {"rtol": 1e-2, "atol": 1e-2}),
                     what=f"corr2d_pad_stride of {dtype} tensors")
        expect.equal(records["args_after"][0], X, what="X after corr2d_pad_stride")
    Xm, Km = torch.empty(h, w, device="meta"), torch.empty(kh, kw, device="meta")
    expect.close(student.corr2d_pad_stride(Xm, Km, (ph, pw), (sh, sw)),
                 reference.corr2d_pad_stride(Xm, Km, (ph, pw), (sh, sw)),
                 what="corr2d_pad_stride of tensors on the meta device")


@check(points=1, clause="corr2d_errors")
def test_corr2d_errors(student, reference, device, rng):
    """corr2d_pad_stride raises ValueError for a kernel larger than the padded input, stride < 1 or padding < 0."""
    h, w = _int(rng, 2, 6), _int(rng, 2, 6)
    X = torch.randn(h, w, generator=rng).to(device)
    cases = [((h + 3, 1), 1, 1), ((1, w + 1), 0, 1), ((2, 2), (0, 0), (1, 0)), ((2, 2), 0, 0),
             ((2, 2), (0, -1), 1), ((h + 1, 1), (0, 1), 1)]
    for kshape, padding, stride in cases:
        K = torch.randn(*kshape, generator=rng).to(device)
        with expect.raises(ValueError, what=f"corr2d_pad_stride of a {h}x{w} input, {kshape} kernel, "
                                            f"padding={padding}, stride={stride}"):
            student.corr2d_pad_stride(X, K, padding, stride)
