"""Hidden checks for ch2.linalg.

Norms and matvec are compared with torch's own functions (computed here in the judge), column
statistics with NumPy's conventions written out in the reference, and matrix_rank with the
reference on matrices whose singular values are chosen so that each plausible wrong threshold
(min instead of max, a fixed tolerance, the wrong dtype's epsilon, >= instead of >) gives another
count. "Keeps the device" is also checked on the `meta` device, which works on any machine.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch2.linalg"

META = torch.device("meta")


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _randn(rng: torch.Generator, *shape: int, dtype=torch.float32, device=None) -> torch.Tensor:
    return torch.randn(*shape, generator=rng, dtype=torch.float64).to(dtype).to(device)


# ---------------------------------------------------------------- norms

@check(points=2)
def test_l1_norm_random(student, device, rng):
    """l1_norm equals the sum of absolute values on random 1-D to 3-D tensors, float32 and float64, and leaves x as it was."""
    for shape, dtype in (((7,), torch.float32), ((4, 5), torch.float64), ((2, 3, 4), torch.float32),
                         ((1,), torch.float64)):
        x = _randn(rng, *shape, dtype=dtype, device=device)
        got, records = student.call_recorded("l1_norm", x)
        expect.close(got, torch.linalg.vector_norm(x, ord=1), what=f"l1_norm of a {dtype} tensor of shape {shape}")
        expect.equal(records["args_after"][0], x, what=f"x after l1_norm(x) (x itself must not change)")


@check(points=2)
def test_l2_norm_random(student, device, rng):
    """l2_norm equals the Euclidean norm on random 1-D to 3-D tensors, float32 and float64."""
    for shape, dtype in (((9,), torch.float32), ((3, 6), torch.float64), ((2, 2, 5), torch.float32),
                         ((1,), torch.float32)):
        x = _randn(rng, *shape, dtype=dtype, device=device)
        expect.close(student.l2_norm(x), torch.linalg.vector_norm(x),
                     what=f"l2_norm of a {dtype} tensor of shape {shape}")


@check(points=2)
def test_frobenius_norm_random(student, device, rng):
    """frobenius_norm equals torch's Frobenius norm on random matrices, and rejects non-matrices."""
    for dtype in (torch.float32, torch.float64):
        X = _randn(rng, _int(rng, 1, 6), _int(rng, 1, 6), dtype=dtype, device=device)
        expect.close(student.frobenius_norm(X), torch.linalg.matrix_norm(X),
                     what=f"frobenius_norm of a {dtype} {tuple(X.shape)} matrix")
    for shape in ((5,), (2, 3, 4)):
        with expect.raises(ValueError, what=f"frobenius_norm of a tensor of shape {shape}"):
            student.frobenius_norm(_randn(rng, *shape, device=device))


@check(points=1)
def test_norms_empty_and_meta(student, device, rng):
    """The norms of an empty tensor are 0, and they stay 0-d tensors on the input's device (meta too)."""
    for name in ("l1_norm", "l2_norm"):
        expect.close(student.call(name, torch.empty(0, device=device)), torch.zeros((), device=device),
                     what=f"{name} of an empty tensor")
    expect.close(student.frobenius_norm(torch.empty(0, 3, device=device)), torch.zeros((), device=device),
                 what="frobenius_norm of an empty (0, 3) matrix")
    for name, shape in (("l1_norm", (4,)), ("l2_norm", (3, 2)), ("frobenius_norm", (3, 2))):
        for dtype in (torch.float32, torch.float64):
            expect.close(student.call(name, torch.empty(shape, dtype=dtype, device=META)),
                         torch.empty((), dtype=dtype, device=META),
                         what=f"{name} of a {dtype} tensor on the meta device")


# ---------------------------------------------------------------- matvec

@check(points=3)
def test_matvec_random(student, device, rng):
    """matvec equals A @ x on random, square and non-square shapes, float32 and float64."""
    shapes = [(_int(rng, 2, 6), _int(rng, 2, 6)) for _ in range(3)] + [(4, 4), (1, 5), (5, 1)]
    for i, (m, n) in enumerate(shapes):
        dtype = torch.float64 if i % 2 else torch.float32
        A = _randn(rng, m, n, dtype=dtype, device=device)
        x = _randn(rng, n, dtype=dtype, device=device)
        expect.close(student.matvec(A, x), A @ x, what=f"matvec of a {dtype} {(m, n)} matrix and a vector")


@check(points=1)
def test_matvec_keeps_dtype_and_device(student, device, rng):
    """matvec keeps integer dtypes and works on the meta device."""
    A = torch.randint(-5, 6, (3, 4), generator=rng).to(device)
    x = torch.randint(-5, 6, (4,), generator=rng).to(device)
    expect.equal(student.matvec(A, x), (A * x).sum(dim=1), what="matvec of int64 tensors")
    for dtype in (torch.float32, torch.float64):
        expect.close(student.matvec(torch.empty(5, 3, dtype=dtype, device=META),
                                    torch.empty(3, dtype=dtype, device=META)),
                     torch.empty(5, dtype=dtype, device=META), what=f"matvec of {dtype} tensors on the meta device")


@check(points=2)
def test_matvec_shape_errors(student, device, rng):
    """matvec raises ValueError on mismatched lengths, a 1-D A or a 2-D x."""
    cases = [((3, 4), (3,)), ((4, 3), (4,)), ((3, 3), (2,)), ((6,), (6,)), ((3, 4), (4, 1)), ((2, 3, 4), (4,))]
    for a_shape, x_shape in cases:
        with expect.raises(ValueError, what=f"matvec with shapes {a_shape} and {x_shape}"):
            student.matvec(_randn(rng, *a_shape, device=device), _randn(rng, *x_shape, device=device))


# ---------------------------------------------------------------- column_stats

def _expect_stats(got, expected: dict, what: str) -> None:
    expect.true(type(got) is dict, f"{what}: expected a dict, got {type(got).__name__}")
    keys = set(got)
    expect.true(keys == {"mean", "median", "std"},
                f"{what}: expected the keys 'mean', 'median' and 'std', got {sorted(map(str, keys))}")
    for key in ("mean", "median", "std"):
        expect.close(got[key], expected[key], what=f"{what}[{key!r}]")


@check(points=3)
def test_column_stats_random(student, reference, device, rng):
    """column_stats matches the reference for odd and even numbers of rows, float32 and float64."""
    for m, dtype in ((7, torch.float32), (8, torch.float32), (6, torch.float64), (5, torch.float64), (2, torch.float32)):
        X = _randn(rng, m, _int(rng, 1, 5), dtype=dtype, device=device) * 3 + 1
        _expect_stats(student.column_stats(X), reference.column_stats(X),
                      f"column_stats of a {dtype} {tuple(X.shape)} matrix")


@check(points=2)
def test_column_stats_even_median_and_ties(student, reference, device, rng):
    """column_stats averages the two middle values for an even count, also with repeated values."""
    X = torch.randint(0, 4, (6, 5), generator=rng).to(torch.float32).to(device)
    _expect_stats(student.column_stats(X), reference.column_stats(X), "column_stats of a 6x5 matrix of small integers")
    perm = torch.randperm(10, generator=rng)
    X = torch.stack([torch.arange(10.0)[perm], torch.arange(10.0)[perm] ** 2], dim=1).to(device)
    _expect_stats(student.column_stats(X), reference.column_stats(X), "column_stats of shuffled 0..9 and their squares")


@check(points=1)
def test_column_stats_errors_and_input(student, device, rng):
    """column_stats raises ValueError for fewer than 2 rows or a non-matrix, and leaves X unchanged."""
    for shape in ((1, 4), (6,), (2, 3, 4)):
        with expect.raises(ValueError, what=f"column_stats of a tensor of shape {shape}"):
            student.column_stats(_randn(rng, *shape, device=device))
    X = _randn(rng, 5, 3, device=device)
    _, records = student.call_recorded("column_stats", X)
    expect.equal(records["args_after"][0], X, what="X after column_stats(X)")


@check(points=1)
def test_column_stats_meta(student, rng):
    """column_stats keeps dtype and device (checked on the meta device)."""
    for dtype in (torch.float32, torch.float64):
        got = student.column_stats(torch.empty(6, 4, dtype=dtype, device=META))
        _expect_stats(got, {k: torch.empty(4, dtype=dtype, device=META) for k in ("mean", "median", "std")},
                      f"column_stats of a {dtype} (6, 4) matrix on the meta device")


# ---------------------------------------------------------------- matrix_rank

def _with_singular_values(rng: torch.Generator, m: int, n: int, values: list[float],
                          dtype=torch.float64, device=None) -> torch.Tensor:
    """An m x n matrix (built in float64) whose singular values are `values` (then zeros)."""
    U, _ = torch.linalg.qr(torch.randn(m, m, generator=rng, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(n, n, generator=rng, dtype=torch.float64))
    S = torch.zeros(m, n, dtype=torch.float64)
    for i, v in enumerate(values):
        S[i, i] = v
    return (U @ S @ V.T).to(dtype).to(device)


@check(points=3)
def test_matrix_rank_low_rank_products(student, device, rng):
    """matrix_rank finds the rank of random low-rank products, float32 and float64, scaled up and down."""
    for dtype, scale in ((torch.float32, 1.0), (torch.float64, 1.0), (torch.float32, 1e6), (torch.float64, 1e6),
                         (torch.float32, 1e-6), (torch.float64, 1e-6), (torch.float32, 1.0), (torch.float64, 1.0)):
        m, n = _int(rng, 2, 7), _int(rng, 2, 7)
        r = _int(rng, 1, min(m, n))
        A = (torch.randn(m, r, generator=rng, dtype=torch.float64)
             @ torch.randn(r, n, generator=rng, dtype=torch.float64) * scale).to(dtype).to(device)
        expect.equal(student.matrix_rank(A), r, what=f"matrix_rank of a {dtype} {m}x{n} matrix of rank {r} (scale {scale:g})")


@check(points=2)
def test_matrix_rank_default_tolerance(student, reference, device, rng):
    """matrix_rank's default threshold is S.max() * max(m, n) * eps of A's dtype, counted strictly."""
    cases = [(2, 40, [1.0, 2e-15], torch.float64),    # between min(m, n) * eps and max(m, n) * eps
             (40, 2, [1.0, 2e-15], torch.float64),
             (3, 3, [2.0, 1.0, 1e-8], torch.float64),   # far above float64's threshold, below float32's
             (4, 4, [1e-9, 5e-10, 2e-10, 1e-10], torch.float64),  # tiny but genuine: a fixed tolerance misses them
             (3, 5, [1e4, 3e3], torch.float32)]    # large values: rounding noise is above a fixed tolerance
    for m, n, values, dtype in cases:
        A = _with_singular_values(rng, m, n, values, dtype, device)
        expect.equal(student.matrix_rank(A), reference.matrix_rank(A),
                     what=f"matrix_rank of a {dtype} {m}x{n} matrix with singular values {values}")
    for shape in ((3, 3), (2, 5)):
        expect.equal(student.matrix_rank(torch.zeros(shape, device=device)), 0, what=f"matrix_rank(zeros{shape})")


@check(points=2)
def test_matrix_rank_explicit_tol(student, reference, device, rng):
    """matrix_rank counts the singular values strictly above an explicit tol."""
    A = _with_singular_values(rng, 5, 4, [4.0, 2.0, 1.0, 0.5], device=device)
    for tol in (0.1, 0.75, 1.5, 3.0, 5.0):
        expect.equal(student.matrix_rank(A, tol), reference.matrix_rank(A, tol), what=f"matrix_rank(A, {tol})")
    expect.equal(student.matrix_rank(A, tol=1.5), 2, what="matrix_rank(A, tol=1.5) (keyword)")


@check(points=1)
def test_matrix_rank_shapes(student, device, rng):
    """matrix_rank handles empty and single-entry matrices and raises ValueError for non-matrices."""
    expect.equal(student.matrix_rank(torch.empty(0, 3, device=device)), 0, what="matrix_rank of a 0x3 matrix")
    expect.equal(student.matrix_rank(torch.full((1, 1), 3.0, device=device)), 1, what="matrix_rank([[3.]])")
    for shape in ((4,), (2, 2, 2)):
        with expect.raises(ValueError, what=f"matrix_rank of a tensor of shape {shape}"):
            student.matrix_rank(_randn(rng, *shape, device=device))
