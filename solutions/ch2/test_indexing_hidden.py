"""Hidden checks for ch2.indexing.

Expected values are computed in the judge from the tensors' values (Python sums for the means,
(T == v).nonzero() for the first match), never from the student's own results.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch2.indexing"


def _python_mean(T: torch.Tensor) -> float:
    values = T.flatten().tolist()
    return sum(values) / len(values)


def _not_integral_mean(T: torch.Tensor) -> torch.Tensor:
    """Nudge one entry so that the mean has a fractional part (integer division then shows)."""
    if sum(T.flatten().tolist()) % T.numel() == 0:
        T.view(-1)[0] += 1
    return T


# ------------------------------------------------------------------ loop_mean

@check(points=2)
def test_loop_mean_any_rank(student, device, rng):
    """The mean of float tensors of rank 0 to 4."""
    for shape in ((), (7,), (3, 5), (2, 3, 4), (2, 1, 3, 2)):
        T = (torch.randn(shape, generator=rng) * 4 + 1).to(device)
        expect.close(student.loop_mean(T), _python_mean(T), rtol=1e-5, atol=1e-6,
                     what=f"loop_mean of a tensor of shape {shape}")


@check(points=2)
def test_loop_mean_integers_exact(student, device, rng):
    """Integer tensors get the true mean: no integer division, no rounding through float32."""
    for low, high, shape, atol in ((10**9, 10**9 + 1000, (3, 4), 1e-6), (-5, 6, (5, 3), 1e-9)):
        T = _not_integral_mean(torch.randint(low, high, shape, generator=rng))
        expect.close(student.loop_mean(T.to(device)), _python_mean(T), rtol=1e-12, atol=atol,
                     what=f"loop_mean of an int64 tensor with entries from {low} to {high - 1}")


@check(points=1)
def test_loop_mean_non_contiguous(student, device, rng):
    """A transposed (non-contiguous) tensor has the same mean."""
    T = (torch.rand(4, 6, generator=rng) * 10).to(device).T
    expect.close(student.loop_mean(T), _python_mean(T), rtol=1e-5, atol=1e-6, what="loop_mean(X.T)")


@check(points=1)
def test_loop_mean_empty_raises(student, device, rng):
    """An empty tensor has no mean: ValueError."""
    for shape in ((0,), (3, 0)):
        with expect.raises(ValueError, what=f"loop_mean of an empty tensor of shape {shape}"):
            student.loop_mean(torch.empty(shape, device=device))


# ------------------------------------------------------------------ find_value

def _first_index(T: torch.Tensor, v) -> tuple[int, ...]:
    return tuple(int(i) for i in (T == v).nonzero()[0])


@check(points=3)
def test_find_value_first_match(student, device, rng):
    """The first match in row-major order, among many repeated values, for ranks 1 to 4."""
    for shape in ((9,), (4, 5), (3, 2, 4), (2, 3, 2, 2)):
        T = torch.randint(0, 6, shape, generator=rng).to(device)
        v = int(T.flatten()[int(torch.randint(0, T.numel(), (1,), generator=rng))])
        expect.equal(student.find_value(T, v), _first_index(T, v), what=f"find_value(T of shape {shape}, {v})")
    T = torch.tensor([[0, 5, 1], [5, 0, 5]], device=device)
    expect.equal(student.find_value(T, 5), (0, 1), what="find_value([[0, 5, 1], [5, 0, 5]], 5)")


@check(points=1)
def test_find_value_floats_and_scalars(student, device, rng):
    """Float tensors, a 0-d tensor (index ()), and a float equal to an integer entry."""
    T = torch.randn(3, 4, generator=rng).to(device)
    v = float(T[2, 1])
    expect.equal(student.find_value(T, v), _first_index(T, v), what="find_value of a float entry")
    expect.equal(student.find_value(torch.tensor(3.5, device=device), 3.5), (), what="find_value(tensor(3.5), 3.5)")
    expect.equal(student.find_value(torch.arange(6, device=device).reshape(2, 3), 4.0), (1, 1),
                 what="find_value(arange(6).reshape(2, 3), 4.0)")


@check(points=2)
def test_find_value_absent_raises(student, device, rng):
    """ValueError when no entry equals v (NaN equals nothing)."""
    T = torch.randint(0, 5, (3, 4), generator=rng).to(device)
    F = torch.randn(2, 3, generator=rng).to(device)
    for tensor, v, what in ((T, 7, "7 in an integer tensor of 0 ... 4"), (F, float("nan"), "nan"),
                            (torch.tensor(1.0, device=device), 2.0, "2.0 in tensor(1.0)")):
        with expect.raises(ValueError, what=f"find_value: {what}"):
            student.find_value(tensor, v)


# ------------------------------------------------------------------ with_column

def _expected_column(X: torch.Tensor, j: int, value) -> torch.Tensor:
    Y = X.clone()
    Y[:, j] = value
    return Y


@check(points=2)
def test_with_column_values(student, device, rng):
    """Any column, negative indices included, set to a number or to one value per row."""
    X = torch.randn(4, 5, generator=rng).to(device)
    for j in (0, 3, -1, -5):
        expect.equal(student.with_column(X, j, 2.5), _expected_column(X, j, 2.5), what=f"with_column(X, {j}, 2.5)")
    column = torch.randn(4, generator=rng).to(device)
    expect.equal(student.with_column(X, -2, column), _expected_column(X, -2, column),
                 what="with_column(X, -2, a tensor of 4 values)")


@check(points=1)
def test_with_column_dtypes(student, device, rng):
    """The copy keeps X's dtype and device (int64 and float64)."""
    X = torch.randint(0, 9, (3, 4), generator=rng).to(device)
    expect.equal(student.with_column(X, 1, 7), _expected_column(X, 1, 7), what="with_column of an int64 X")
    D = torch.randn(2, 3, generator=rng, dtype=torch.float64).to(device)
    expect.equal(student.with_column(D, -3, -1.0), _expected_column(D, -3, -1.0), what="with_column of a float64 X")


@check(points=1)
def test_with_column_out_of_range(student, device, rng):
    """A column index outside the columns raises IndexError (no wrapping around)."""
    X = torch.randn(3, 4, generator=rng).to(device)
    for j in (4, 9, -5):
        with expect.raises(IndexError, what=f"with_column(X with 4 columns, {j}, 0.0)"):
            student.with_column(X, j, 0.0)


@check(points=2)
def test_with_column_leaves_x_alone(student, device, rng):
    """X is unchanged after with_column."""
    X = torch.randn(5, 3, generator=rng).to(device)
    _, records = student.call_recorded("with_column", X, 1, 100.0)
    expect.equal(records["args_after"][0], X, what="X after with_column(X, 1, 100.0)")


# ------------------------------------------------------------------ keep_above

def _expected_above(X: torch.Tensor, t) -> torch.Tensor:
    return torch.where(X > t, X, torch.zeros_like(X))


@check(points=2)
def test_keep_above_random(student, device, rng):
    """Random tensors of several shapes and thresholds."""
    for shape, t in (((5, 6), 0.3), ((2, 3, 4), -0.5), ((7,), 1.0)):
        X = torch.randn(shape, generator=rng).to(device)
        expect.equal(student.keep_above(X, t), _expected_above(X, t), what=f"keep_above(X of shape {shape}, {t})")


@check(points=1)
def test_keep_above_ties_and_integers(student, device, rng):
    """Entries equal to t become 0; integer tensors keep their dtype."""
    X = torch.randint(-3, 4, (4, 5), generator=rng).to(device)
    expect.equal(student.keep_above(X, 1), _expected_above(X, 1), what="keep_above(int64 X, 1)")
    D = torch.tensor([[0.25, 0.5, 0.75], [0.5, 1.0, 0.0]], dtype=torch.float64, device=device)
    expect.equal(student.keep_above(D, 0.5), _expected_above(D, 0.5), what="keep_above(float64 X, 0.5)")


@check(points=1)
def test_keep_above_infinities(student, device, rng):
    """-inf (below any t) becomes 0, not nan; +inf is kept."""
    X = torch.tensor([[-float("inf"), 2.0, float("inf")], [0.0, -1.0, 3.0]], device=device)
    expect.equal(student.keep_above(X, 0.0), _expected_above(X, 0.0), what="keep_above with infinite entries")


@check(points=1)
def test_keep_above_leaves_x_alone(student, device, rng):
    """X is unchanged after keep_above."""
    X = torch.randn(4, 4, generator=rng).to(device)
    _, records = student.call_recorded("keep_above", X, 0.0)
    expect.equal(records["args_after"][0], X, what="X after keep_above(X, 0.0)")
