"""Hidden checks for ch6.pooling: pool2d and global_avg_pool against the reference.

Windows, strides and paddings are drawn from `rng`, different for rows and columns, with sizes
that the stride usually does not divide (a ceiling shows). Paddings stay within half the window,
as the text promises. Max-pooling with padding is also run on all-negative inputs, where zero
padding instead of -inf shows. The built-in pools are banned through course.toml.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch6.pooling"

SUM_TOL = {"rtol": 1e-5, "atol": 1e-6}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _geometry(rng: torch.Generator, pad: bool = True) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    """((h, w), (kh, kw), (sh, sw), (ph, pw)) with kh != kw, sh != sw and padding <= window // 2."""
    kh, kw = _int(rng, 1, 4), _int(rng, 2, 4)
    if kh == kw:
        kh -= 1
    if _int(rng, 0, 1):
        kh, kw = kw, kh
    sh, sw = _int(rng, 1, 3), _int(rng, 1, 3)
    if sh == sw:
        sw = sh % 3 + 1
    ph, pw = (_int(rng, 0, kh // 2), _int(rng, 0, kw // 2)) if pad else (0, 0)
    h, w = _int(rng, kh, 9), _int(rng, kw, 9)
    return (h, w), (kh, kw), (sh, sw), (ph, pw)


def _what(mode, shape, k, s, p) -> str:
    return f"pool2d(mode={mode!r}) of a {tuple(shape)} input, pool_size={k}, stride={s}, padding={p}"


def _compare(student, reference, X, k, mode, s, p) -> None:
    expect.close(student.pool2d(X, k, mode=mode, stride=s, padding=p),
                 reference.pool2d(X, k, mode=mode, stride=s, padding=p), **SUM_TOL,
                 what=_what(mode, X.shape, k, s, p))


# ---------------------------------------------------------------- pool2d

@check(points=3)
def test_max_random_batches(student, reference, device, rng):
    """Max-pooling of random (N, C, h, w) batches with pair windows, strides and paddings matches the reference."""
    for _ in range(4):
        (h, w), k, s, p = _geometry(rng)
        X = torch.randn(_int(rng, 1, 3), _int(rng, 1, 3), h, w, generator=rng).to(device)
        _compare(student, reference, X, k, "max", s, p)


@check(points=3)
def test_avg_random_batches(student, reference, device, rng):
    """Average-pooling of random (N, C, h, w) batches (padded zeros counted) matches the reference."""
    for _ in range(4):
        (h, w), k, s, p = _geometry(rng)
        X = torch.randn(_int(rng, 1, 3), _int(rng, 1, 3), h, w, generator=rng).to(device)
        _compare(student, reference, X, k, "avg", s, p)


@check(points=1)
def test_two_dimensional_inputs(student, reference, device, rng):
    """pool2d pools a single (h, w) map in both modes, with int arguments."""
    for mode in ("max", "avg"):
        (h, w), (k, _), (s, _), _ = _geometry(rng, pad=False)
        h, w = max(h, k), max(w, k)
        X = torch.randn(h, w, generator=rng).to(device)
        _compare(student, reference, X, k, mode, s, k // 2)


@check(points=2)
def test_default_stride_is_pool_size(student, reference, device, rng):
    """Without a stride, the windows do not overlap (stride = pool size), also for non-square windows."""
    for mode in ("max", "avg"):
        (h, w), k, _, _ = _geometry(rng, pad=False)
        X = torch.randn(2, 2, h + 2, w + 3, generator=rng).to(device)
        expect.close(student.pool2d(X, k, mode=mode), reference.pool2d(X, k, mode=mode), **SUM_TOL,
                     what=f"pool2d(X, {k}, mode={mode!r}) of a {tuple(X.shape)} input, default stride")
    X = torch.randn(1, 2, 9, 7, generator=rng).to(device)
    expect.close(student.pool2d(X, 3, "max"), reference.pool2d(X, 3, "max"),
                 what="pool2d(X, 3, 'max') of a (1, 2, 9, 7) input (positional mode, default stride)")


@check(points=2)
def test_max_padding_on_negative_inputs(student, reference, device, rng):
    """Max-pooling with padding of all-negative inputs never returns a padded value."""
    for _ in range(3):
        (h, w), (kh, kw), s, _ = _geometry(rng)
        kh, kw = max(kh, 2), max(kw, 2)
        p = (kh // 2, kw // 2)
        X = (-0.1 - torch.rand(2, 2, max(h, kh), max(w, kw), generator=rng)).to(device)
        _compare(student, reference, X, (kh, kw), "max", s, p)


@check(points=1)
def test_avg_counts_padded_zeros(student, reference, device, rng):
    """Average-pooling with padding divides every window by the full window size."""
    X = (1.0 + torch.rand(1, 2, 5, 6, generator=rng)).to(device)
    _compare(student, reference, X, 3, "avg", 1, 1)
    _compare(student, reference, X, (2, 3), "avg", (2, 1), (1, 1))


@check(points=1)
def test_dtype_device_and_input_unchanged(student, reference, device, rng):
    """pool2d keeps float64 and the device (meta too) and leaves X unchanged."""
    (h, w), k, s, p = _geometry(rng)
    X = torch.randn(2, 3, h, w, generator=rng, dtype=torch.float64).to(device)
    for mode in ("max", "avg"):
        got, records = student.call_recorded("pool2d", X, k, mode, s, p)
        expect.close(got, reference.pool2d(X, k, mode, s, p), what=_what(mode, X.shape, k, s, p) + ", float64")
        expect.equal(records["args_after"][0], X, what=f"X after pool2d(mode={mode!r})")
        Xm = torch.empty(2, 3, h, w, device="meta")
        expect.close(student.pool2d(Xm, k, mode, s, p), reference.pool2d(Xm, k, mode, s, p),
                     what=_what(mode, Xm.shape, k, s, p) + " on the meta device")


@check(points=2)
def test_empty_output_and_unknown_mode(student, reference, device, rng):
    """pool2d raises ValueError when no window fits (an empty output) and for an unknown mode."""
    h, w = _int(rng, 2, 6), _int(rng, 2, 6)
    X = torch.randn(1, 2, h, w, generator=rng).to(device)
    for k, p, mode in (((h + 1, 1), 0, "max"), ((1, w + 1), 0, "avg"), ((h + 3, 2), (1, 1), "max"),
                       (max(h, w) + 1, 0, "avg")):
        with expect.raises(ValueError, what=f"pool2d(mode={mode!r}) of a {tuple(X.shape)} input, "
                                            f"pool_size={k}, padding={p} (empty output)"):
            student.pool2d(X, k, mode=mode, padding=p)
    for mode in ("min", "average", "sum"):
        with expect.raises(ValueError, what=f"pool2d(X, 1, mode={mode!r})"):
            student.pool2d(X, 1, mode=mode)


@check(points=1)
def test_bad_stride_or_padding(student, reference, device, rng):
    """pool2d raises ValueError for a stride below 1 or a negative padding."""
    X = torch.randn(1, 1, 6, 6, generator=rng).to(device)
    for s, p in ((0, 0), ((1, 0), 0), (1, -1), (1, (0, -1))):
        with expect.raises(ValueError, what=f"pool2d(X, 2, stride={s}, padding={p})"):
            student.pool2d(X, 2, "max", s, p)


# ---------------------------------------------------------------- global_avg_pool

@check(points=2)
def test_global_avg_pool_random(student, reference, device, rng):
    """global_avg_pool matches the channel means on random batches, as an (N, C) tensor."""
    for _ in range(3):
        shape = (_int(rng, 1, 4), _int(rng, 1, 5), _int(rng, 1, 7), _int(rng, 1, 7))
        X = torch.randn(*shape, generator=rng).to(device)
        expect.close(student.global_avg_pool(X), reference.global_avg_pool(X), **SUM_TOL,
                     what=f"global_avg_pool of a {shape} input")


@check(points=1)
def test_global_avg_pool_dtype_and_device(student, reference, device, rng):
    """global_avg_pool keeps float64 and the device (meta too)."""
    X = torch.randn(3, 4, 5, 2, generator=rng, dtype=torch.float64).to(device)
    expect.close(student.global_avg_pool(X), reference.global_avg_pool(X), what="global_avg_pool of float64")
    Xm = torch.empty(2, 3, 4, 4, device="meta")
    expect.close(student.global_avg_pool(Xm), reference.global_avg_pool(Xm),
                 what="global_avg_pool on the meta device")
