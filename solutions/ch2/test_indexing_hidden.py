"""Hidden checks for ch2.indexing.

Expected values are computed in the judge from the tensors' values (Python sums for the means,
(T == v).nonzero() for the first match), never from the student's own results.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch2.indexing"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "mean_example": "loop_mean of 1 ... 24 as a 4 x 2 x 3 tensor is 12.5, and an integer tensor's mean keeps its "
                    "fraction (no integer division)",
    "mean_any_rank": "loop_mean gives the mean of a tensor of any rank, 0-d included, as a Python float",
    "mean_integers_exact": "integer tensors get the exact mean: entries near 10**9 are not rounded through float32",
    "mean_strided": "loop_mean reads every entry of a non-contiguous tensor (a transpose)",
    "mean_empty": "loop_mean raises ValueError for an empty tensor",
    "find_example": "find_value(1 ... 24 as 4 x 2 x 3, 13) is (2, 0, 0)",
    "find_first": "find_value gives the first match in row-major order, as a tuple of ints, for any rank",
    "find_floats_scalars": "find_value works on float tensors and for a float v equal to an integer entry, and "
                           "gives () for a 0-d tensor",
    "find_absent": "find_value raises ValueError when no entry equals v (NaN equals nothing)",
    "column_copy": "with_column returns a copy with column j set to value and leaves X unchanged",
    "column_any": "with_column sets any column, negative j counting from the end, to a number or to one value per row",
    "column_dtypes": "with_column's copy keeps X's dtype and device",
    "column_index_error": "with_column raises IndexError for a j outside the columns (no wrapping around)",
    "above_example": "keep_above sets every entry <= t to 0, t itself included",
    "above_any": "keep_above keeps the entries above t for any shape and threshold",
    "above_dtypes": "keep_above's result keeps X's dtype (integer and float64 tensors)",
    "above_infinities": "keep_above turns -inf into 0, not NaN, and keeps +inf",
    "above_x_unchanged": "keep_above leaves X unchanged",
}


def _python_mean(T: torch.Tensor) -> float:
    values = T.flatten().tolist()
    return sum(values) / len(values)


def _not_integral_mean(T: torch.Tensor) -> torch.Tensor:
    """Nudge one entry so that the mean has a fractional part (integer division then shows)."""
    if sum(T.flatten().tolist()) % T.numel() == 0:
        T.view(-1)[0] += 1
    return T


# ------------------------------------------------------------------ loop_mean

@check(points=2, clause="mean_any_rank")
def test_loop_mean_any_rank(student, device, rng):
    """The mean of float tensors of rank 0 to 4."""
    for shape in ((), (7,), (3, 5), (2, 3, 4), (2, 1, 3, 2)):
        T = (torch.randn(shape, generator=rng) * 4 + 1).to(device)
        expect.close(student.loop_mean(T), _python_mean(T), rtol=1e-5, atol=1e-6,
                     what=f"loop_mean of a tensor of shape {shape}")


@check(points=2, clause="mean_integers_exact")
def test_loop_mean_integers_exact(student, device, rng):
    """Integer tensors with entries near 10**9 get the true mean, not one rounded through float32."""
    for low, high, shape in ((10**9, 10**9 + 1000, (3, 4)), (-(10**9) - 1000, -(10**9), (2, 5))):
        T = _not_integral_mean(torch.randint(low, high, shape, generator=rng))
        expect.close(student.loop_mean(T.to(device)), _python_mean(T), rtol=1e-12, atol=1e-6,
                     what=f"loop_mean of an int64 tensor with entries from {low} to {high - 1}")


@check(points=1, clause="mean_strided")
def test_loop_mean_non_contiguous(student, device, rng):
    """A transposed (non-contiguous) tensor has the same mean."""
    T = (torch.rand(4, 6, generator=rng) * 10).to(device).T
    expect.close(student.loop_mean(T), _python_mean(T), rtol=1e-5, atol=1e-6, what="loop_mean(X.T)")


@check(points=1, clause="mean_empty")
def test_loop_mean_empty_raises(student, device, rng):
    """An empty tensor has no mean: ValueError."""
    for shape in ((0,), (3, 0)):
        with expect.raises(ValueError, what=f"loop_mean of an empty tensor of shape {shape}"):
            student.loop_mean(torch.empty(shape, device=device))


# ------------------------------------------------------------------ find_value

def _first_index(T: torch.Tensor, v) -> tuple[int, ...]:
    return tuple(int(i) for i in (T == v).nonzero()[0])


@check(points=3, clause="find_first")
def test_find_value_first_match(student, device, rng):
    """The first match in row-major order, among many repeated values, for ranks 1 to 4."""
    for shape in ((9,), (4, 5), (3, 2, 4), (2, 3, 2, 2)):
        T = torch.randint(0, 6, shape, generator=rng).to(device)
        v = int(T.flatten()[int(torch.randint(0, T.numel(), (1,), generator=rng))])
        expect.equal(student.find_value(T, v), _first_index(T, v), what=f"find_value(T of shape {shape}, {v})")
    T = torch.tensor([[0, 5, 1], [5, 0, 5]], device=device)
    expect.equal(student.find_value(T, 5), (0, 1), what="find_value([[0, 5, 1], [5, 0, 5]], 5)")


@check(points=1, clause="find_floats_scalars")
def test_find_value_floats_and_scalars(student, device, rng):
    """Float tensors, a 0-d tensor (index ()), and a float equal to an integer entry."""
    T = torch.randn(3, 4, generator=rng).to(device)
    v = float(T[2, 1])
    expect.equal(student.find_value(T, v), _first_index(T, v), what="find_value of a float entry")
    expect.equal(student.find_value(torch.tensor(3.5, device=device), 3.5), (), what="find_value(tensor(3.5), 3.5)")
    expect.equal(student.find_value(torch.arange(6, device=device).reshape(2, 3), 4.0), (1, 1),
                 what="find_value(arange(6).reshape(2, 3), 4.0)")


# ------------------------------------------------------------------ with_column

def _expected_column(X: torch.Tensor, j: int, value) -> torch.Tensor:
    Y = X.clone()
    Y[:, j] = value
    return Y


@check(points=2, clause="column_any")
def test_with_column_values(student, device, rng):
    """Any column, negative indices included, set to a number or to one value per row."""
    X = torch.randn(4, 5, generator=rng).to(device)
    for j in (0, 3, -1, -5):
        expect.equal(student.with_column(X, j, 2.5), _expected_column(X, j, 2.5), what=f"with_column(X, {j}, 2.5)")
    column = torch.randn(4, generator=rng).to(device)
    expect.equal(student.with_column(X, -2, column), _expected_column(X, -2, column),
                 what="with_column(X, -2, a tensor of 4 values)")


@check(points=1, clause="column_dtypes")
def test_with_column_dtypes(student, device, rng):
    """The copy keeps X's dtype and device (int64 and float64)."""
    X = torch.randint(0, 9, (3, 4), generator=rng).to(device)
    expect.equal(student.with_column(X, 1, 7), _expected_column(X, 1, 7), what="with_column of an int64 X")
    D = torch.randn(2, 3, generator=rng, dtype=torch.float64).to(device)
    expect.equal(student.with_column(D, -3, -1.0), _expected_column(D, -3, -1.0), what="with_column of a float64 X")


@check(points=1, clause="column_index_error")
def test_with_column_out_of_range(student, device, rng):
    """A column index outside the columns raises IndexError (no wrapping around)."""
    X = torch.randn(3, 4, generator=rng).to(device)
    for j in (4, 9, -5):
        with expect.raises(IndexError, what=f"with_column(X with 4 columns, {j}, 0.0)"):
            student.with_column(X, j, 0.0)


# ------------------------------------------------------------------ keep_above

def _expected_above(X: torch.Tensor, t) -> torch.Tensor:
    return torch.where(X > t, X, torch.zeros_like(X))


@check(points=2, clause="above_any")
def test_keep_above_random(student, device, rng):
    """Random tensors of several shapes and thresholds."""
    for shape, t in (((5, 6), 0.3), ((2, 3, 4), -0.5), ((7,), 1.0)):
        X = torch.randn(shape, generator=rng).to(device)
        expect.equal(student.keep_above(X, t), _expected_above(X, t), what=f"keep_above(X of shape {shape}, {t})")


@check(points=1, clause="above_dtypes")
def test_keep_above_integers_and_float64(student, device, rng):
    """Integer and float64 tensors keep their dtype."""
    X = torch.randint(-3, 4, (4, 5), generator=rng).to(device)
    expect.equal(student.keep_above(X, 0.5), _expected_above(X, 0.5), what="keep_above(int64 X, 0.5)")
    X32 = torch.randint(-100, 100, (3, 4), generator=rng).to(torch.int32).to(device)
    expect.equal(student.keep_above(X32, -7.5), _expected_above(X32, -7.5), what="keep_above(int32 X, -7.5)")
    D = torch.tensor([[0.25, 0.5, 0.75], [0.5, 1.0, 0.0]], dtype=torch.float64, device=device)
    expect.equal(student.keep_above(D, 0.6), _expected_above(D, 0.6), what="keep_above(float64 X, 0.6)")


@check(points=1, clause="above_infinities")
def test_keep_above_infinities(student, device, rng):
    """-inf (below any t) becomes 0, not nan; +inf is kept."""
    X = torch.tensor([[-float("inf"), 2.0, float("inf")], [0.0, -1.0, 3.0]], device=device)
    expect.equal(student.keep_above(X, 0.0), _expected_above(X, 0.0), what="keep_above with infinite entries")


@check(points=1, clause="above_x_unchanged")
def test_keep_above_leaves_x_alone(student, device, rng):
    """X is unchanged after keep_above."""
    X = torch.randn(4, 4, generator=rng).to(device)
    _, records = student.call_recorded("keep_above", X, 0.0)
    expect.equal(records["args_after"][0], X, what="X after keep_above(X, 0.0)")
