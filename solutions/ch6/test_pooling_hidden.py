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

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "example": "2x2 pooling of the text's 4x4 example, in both modes and per channel of an (N, C, h, w) batch",
    "padding_example": "a 3x3 window with stride 1 and padding 1 keeps the size; avg divides by 9, padded zeros "
                       "included",
    "minus_inf_example": "max-pooling pads with -inf: an all-negative input never gives a padded value",
    "stride_example": "the stride defaults to the pool size: 28 -> 14 -> 7 -> 3 -> 1; 54 with a 3x3 window and "
                      "stride 2 gives 26",
    "global_example": "global_avg_pool turns (N, C, h, w) into the (N, C) channel means",
    "max_any": "max-pooling of (N, C, h, w) batches with pair windows, strides and paddings",
    "avg_any": "average-pooling of (N, C, h, w) batches with pair windows, strides and paddings",
    "maps": "pool2d pools a single (h, w) map, in both modes, with int arguments",
    "default_stride": "without a stride the windows do not overlap, for non-square windows and positional mode too",
    "fit_with_padding": "a window that fits only thanks to the padding on both sides gives an output",
    "dtype_device": "pool2d keeps X's dtype and device and leaves X unchanged",
    "empty_and_mode": "ValueError for a window that does not fit in the padded input and for an unknown mode",
    "bad_sizes": "ValueError for a pool size or a stride below 1 and for a negative padding, in either direction",
    "global_any": "global_avg_pool gives the channel means of any (N, C, h, w) batch",
    "global_dtype_device": "global_avg_pool keeps X's dtype and device",
}

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

@check(points=3, clause="max_any")
def test_max_random_batches(student, reference, device, rng):
    """Max-pooling of random (N, C, h, w) batches with pair windows, strides and paddings matches the reference."""
    for _ in range(4):
        (h, w), k, s, p = _geometry(rng)
        X = torch.randn(_int(rng, 1, 3), _int(rng, 1, 3), h, w, generator=rng).to(device)
        _compare(student, reference, X, k, "max", s, p)


@check(points=3, clause="avg_any")
def test_avg_random_batches(student, reference, device, rng):
    """Average-pooling of random (N, C, h, w) batches (padded zeros counted) matches the reference."""
    for _ in range(4):
        (h, w), k, s, p = _geometry(rng)
        X = torch.randn(_int(rng, 1, 3), _int(rng, 1, 3), h, w, generator=rng).to(device)
        _compare(student, reference, X, k, "avg", s, p)


@check(points=1, clause="maps")
def test_two_dimensional_inputs(student, reference, device, rng):
    """pool2d pools a single (h, w) map in both modes, with int arguments."""
    for mode in ("max", "avg"):
        (h, w), (k, _), (s, _), _ = _geometry(rng, pad=False)
        h, w = max(h, k), max(w, k)
        X = torch.randn(h, w, generator=rng).to(device)
        _compare(student, reference, X, k, mode, s, k // 2)


@check(points=2, clause="default_stride")
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


@check(points=1, clause="fit_with_padding")
def test_window_fits_thanks_to_padding(student, reference, device, rng):
    """A window longer than the input plus one padding, yet within both paddings, fits once (rows and columns)."""
    h, w = _int(rng, 2, 4), _int(rng, 2, 4)
    X = torch.randn(1, 2, h, w, generator=rng).to(device)
    for mode in ("max", "avg"):
        _compare(student, reference, X, (h + 2, 1), mode, 1, (1, 0))
        _compare(student, reference, X, (2, w + 2), mode, 1, (1, 1))


@check(points=1, clause="dtype_device")
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


@check(points=2, clause="empty_and_mode")
def test_empty_output_and_unknown_mode(student, reference, device, rng):
    """pool2d raises ValueError when no window fits (an empty output) and for an unknown mode."""
    h, w = _int(rng, 2, 6), _int(rng, 2, 6)
    X = torch.randn(1, 2, h, w, generator=rng).to(device)
    for k, p, mode in (((h + 1, 1), 0, "max"), ((1, w + 1), 0, "avg"), ((h + 3, 2), (1, 1), "max"),
                       (max(h, w) + 1, 0, "avg"), ((2, w + 3), (1, 1), "avg"), ((h + 5, 1), (2, 0), "max")):
        with expect.raises(ValueError, what=f"pool2d(mode={mode!r}) of a {tuple(X.shape)} input, "
                                            f"pool_size={k}, padding={p} (empty output)"):
            student.pool2d(X, k, mode=mode, padding=p)
    for mode in ("min", "average", "sum"):
        with expect.raises(ValueError, what=f"pool2d(X, 1, mode={mode!r})"):
            student.pool2d(X, 1, mode=mode)


@check(points=1, clause="bad_sizes")
def test_bad_stride_or_padding(student, reference, device, rng):
    """pool2d raises ValueError for a pool size or a stride below 1 or a negative padding, in either direction."""
    X = torch.randn(1, 1, 6, 6, generator=rng).to(device)
    for k, s, p in ((2, 0, 0), (2, (1, 0), 0), (2, (0, 2), 0), (2, 1, -1), (2, 1, (0, -1)), (2, 1, (-1, 0)),
                    ((0, 2), 1, 0), ((2, 0), 1, 0), (0, None, 0)):
        with expect.raises(ValueError, what=f"pool2d(X, {k}, stride={s}, padding={p})"):
            student.pool2d(X, k, "max", s, p)


# ---------------------------------------------------------------- global_avg_pool

@check(points=2, clause="global_any")
def test_global_avg_pool_random(student, reference, device, rng):
    """global_avg_pool matches the channel means on random batches, as an (N, C) tensor."""
    for _ in range(3):
        shape = (_int(rng, 1, 4), _int(rng, 1, 5), _int(rng, 1, 7), _int(rng, 1, 7))
        X = torch.randn(*shape, generator=rng).to(device)
        expect.close(student.global_avg_pool(X), reference.global_avg_pool(X), **SUM_TOL,
                     what=f"global_avg_pool of a {shape} input")


@check(points=1, clause="global_dtype_device")
def test_global_avg_pool_dtype_and_device(student, reference, device, rng):
    """global_avg_pool keeps float64 and the device (meta too)."""
    X = torch.randn(3, 4, 5, 2, generator=rng, dtype=torch.float64).to(device)
    expect.close(student.global_avg_pool(X), reference.global_avg_pool(X), what="global_avg_pool of float64")
    Xm = torch.empty(2, 3, 4, 4, device="meta")
    expect.close(student.global_avg_pool(Xm), reference.global_avg_pool(Xm),
                 what="global_avg_pool on the meta device")
