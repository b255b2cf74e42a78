"""Hidden checks for ch6.channels: corr2d_multi_in, corr2d_multi_in_out and corr2d_1x1 against the reference.

Channel counts differ between input and output (co != ci), kernels are not square and inputs not
square, so a transposed weight matrix, a swapped kernel axis or a mean instead of a sum over
channels shows. Channel mismatches include the case where one side has a single channel (which
broadcasting would silently accept). The built-in convolutions are banned through course.toml.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch6.channels"

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


# ---------------------------------------------------------------- corr2d_multi_in

@check(points=3)
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


@check(points=2)
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


@check(points=1)
def test_multi_in_dtype_and_device(student, reference, device, rng):
    """corr2d_multi_in keeps float64 and the device (meta too)."""
    h, w, kh, kw = _sizes(rng)
    X = torch.randn(3, h, w, generator=rng, dtype=torch.float64).to(device)
    K = torch.randn(3, kh, kw, generator=rng, dtype=torch.float64).to(device)
    expect.close(student.corr2d_multi_in(X, K), reference.corr2d_multi_in(X, K), what="corr2d_multi_in of float64")
    Xm, Km = torch.empty(3, h, w, device="meta"), torch.empty(3, kh, kw, device="meta")
    expect.close(student.corr2d_multi_in(Xm, Km), reference.corr2d_multi_in(Xm, Km),
                 what="corr2d_multi_in on the meta device")


# ---------------------------------------------------------------- corr2d_multi_in_out

@check(points=3)
def test_multi_in_out_random(student, reference, device, rng):
    """corr2d_multi_in_out matches the reference with co != ci and non-square kernels."""
    for _ in range(3):
        h, w, kh, kw = _sizes(rng)
        ci, co = _channels(rng)
        X = torch.randn(ci, h, w, generator=rng).to(device)
        K = torch.randn(co, ci, kh, kw, generator=rng).to(device)
        expect.close(student.corr2d_multi_in_out(X, K), reference.corr2d_multi_in_out(X, K), **SUM_TOL,
                     what=f"corr2d_multi_in_out of a {(ci, h, w)} input with {(co, ci, kh, kw)} kernels")


@check(points=1)
def test_multi_in_out_errors(student, reference, device, rng):
    """corr2d_multi_in_out raises ValueError when the kernels' input channels differ from X's channels."""
    ci, co = _channels(rng)
    X = torch.randn(ci, 4, 5, generator=rng).to(device)
    for kshape in ((co, ci + 1, 2, 2), (co, 1, 2, 2), (ci, co, 2, 2) if co != 1 else (ci, ci + 2, 2, 2)):
        K = torch.randn(*kshape, generator=rng).to(device)
        with expect.raises(ValueError, what=f"corr2d_multi_in_out of a {tuple(X.shape)} input with {kshape} kernels"):
            student.corr2d_multi_in_out(X, K)


@check(points=1)
def test_multi_in_out_dtype_and_device(student, reference, device, rng):
    """corr2d_multi_in_out keeps float64 and the device (meta too)."""
    h, w, kh, kw = _sizes(rng)
    ci, co = _channels(rng)
    X = torch.randn(ci, h, w, generator=rng, dtype=torch.float64).to(device)
    K = torch.randn(co, ci, kh, kw, generator=rng, dtype=torch.float64).to(device)
    expect.close(student.corr2d_multi_in_out(X, K), reference.corr2d_multi_in_out(X, K),
                 what="corr2d_multi_in_out of float64")
    Xm, Km = torch.empty(ci, h, w, device="meta"), torch.empty(co, ci, kh, kw, device="meta")
    expect.close(student.corr2d_multi_in_out(Xm, Km), reference.corr2d_multi_in_out(Xm, Km),
                 what="corr2d_multi_in_out on the meta device")


# ---------------------------------------------------------------- corr2d_1x1

@check(points=3)
def test_1x1_random(student, reference, device, rng):
    """corr2d_1x1 matches the reference with co != ci on non-square inputs."""
    for _ in range(3):
        h, w, _, _ = _sizes(rng)
        ci, co = _channels(rng)
        X = torch.randn(ci, h, w, generator=rng).to(device)
        K = torch.randn(co, ci, 1, 1, generator=rng).to(device)
        expect.close(student.corr2d_1x1(X, K), reference.corr2d_1x1(X, K), **SUM_TOL,
                     what=f"corr2d_1x1 of a {(ci, h, w)} input with {(co, ci, 1, 1)} kernels")


@check(points=1)
def test_1x1_errors(student, reference, device, rng):
    """corr2d_1x1 raises ValueError on a channel mismatch and for kernels that are not 1x1."""
    ci, co = _channels(rng)
    X = torch.randn(ci, 3, 4, generator=rng).to(device)
    for kshape in ((co, ci + 1, 1, 1), (co, 1, 1, 1), (co, ci, 3, 3), (co, ci, 1, 2)):
        K = torch.randn(*kshape, generator=rng).to(device)
        with expect.raises(ValueError, what=f"corr2d_1x1 of a {tuple(X.shape)} input with {kshape} kernels"):
            student.corr2d_1x1(X, K)


@check(points=1)
def test_1x1_dtype_device_and_input_unchanged(student, reference, device, rng):
    """corr2d_1x1 keeps float64 and the device (meta too) and leaves X unchanged."""
    h, w, _, _ = _sizes(rng)
    ci, co = _channels(rng)
    X = torch.randn(ci, h, w, generator=rng, dtype=torch.float64).to(device)
    K = torch.randn(co, ci, 1, 1, generator=rng, dtype=torch.float64).to(device)
    got, records = student.call_recorded("corr2d_1x1", X, K)
    expect.close(got, reference.corr2d_1x1(X, K), what="corr2d_1x1 of float64")
    expect.equal(records["args_after"][0], X, what="X after corr2d_1x1")
    Xm, Km = torch.empty(ci, h, w, device="meta"), torch.empty(co, ci, 1, 1, device="meta")
    expect.close(student.corr2d_1x1(Xm, Km), reference.corr2d_1x1(Xm, Km), what="corr2d_1x1 on the meta device")
