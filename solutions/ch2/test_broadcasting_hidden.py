"""Hidden checks for ch2.broadcasting.

Shapes are compared with torch.broadcast_shapes in the judge; distances with a float64
computation in the judge (differences, never the expanded square), rounded to the input dtype.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch2.broadcasting"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "shape_examples": "broadcast_shape: (3, 1) with (1, 2) gives (3, 2); (8, 1, 6, 1) with (7, 1, 5) gives (8, 7, 6, 5)",
    "shape_rule": "broadcast_shape right-aligns the shapes, pads the shorter with 1s, and a 1 takes the other size",
    "shape_edges": "() broadcasts with anything, a 1 against a 0 gives 0, 0 against 0 gives 0; a tuple comes back",
    "conflict": "two sizes that differ and are not 1 raise ValueError",
    "distance_example": "pairwise_distances gives the (n, m) Euclidean distances (the worked example)",
    "distances": "pairwise_distances is right for random point sets of any dimension d",
    "exact_zero": "identical points are at distance exactly 0, never NaN",
    "distance_dtype_device": "the distances keep the points' dtype and device",
    "distance_value_error": "ValueError when P or Q is not 2-D or their dimensions d differ",
    "normalize_example": "row_normalize divides each row by its sum (the worked example)",
    "rows_sum_to_one": "every row of the result sums to 1, each row divided by its own sum",
    "keepdim_rows": "for a square matrix the rows, not the columns, are normalised",
    "normalize_dtypes": "floating-point A keeps its dtype; an integer A gives float32",
    "normalize_value_error": "a row that sums to 0 raises ValueError",
    "normalize_new_tensor": "row_normalize returns a new tensor and leaves A unchanged",
}


def _shape(got):
    """A torch.Size is a tuple too: accept it as one."""
    return tuple(got) if type(got) is torch.Size else got


def _ints(rng: torch.Generator, n: int, low: int, high: int) -> list[int]:
    return [int(v) for v in torch.randint(low, high, (n,), generator=rng)]


def _compatible_pair(rng: torch.Generator) -> tuple[tuple, tuple]:
    """Two random shapes that broadcast: a common shape with dims dropped on the left or set to 1."""
    full = _ints(rng, _ints(rng, 1, 1, 5)[0], 2, 6)
    sides = []
    for _ in range(2):
        keep = _ints(rng, 1, 0, len(full) + 1)[0]
        dims = full[len(full) - keep:]
        ones = _ints(rng, len(dims), 0, 3)
        sides.append(tuple(1 if o == 0 else d for d, o in zip(dims, ones)))
    return sides[0], sides[1]


# ------------------------------------------------------------------ broadcast_shape

@check(points=2, clause="shape_rule")
def test_broadcast_shape_random_pairs(student, device, rng):
    """Random shapes of different lengths with 1s here and there."""
    for _ in range(8):
        a, b = _compatible_pair(rng)
        expected = tuple(torch.broadcast_shapes(a, b))
        expect.equal(_shape(student.broadcast_shape(a, b)), expected, what=f"broadcast_shape({a}, {b})")


@check(points=1, clause="shape_edges")
def test_broadcast_shape_scalars_and_zeros(student, device, rng):
    """() broadcasts with anything; a 1 stretches to 0, and 0 meets 0."""
    cases = [((), (2, 3)), ((4,), ()), ((), ()), ((0,), (1,)), ((1, 0), (3, 1)), ((2, 0), (0,))]
    for a, b in cases:
        expected = tuple(torch.broadcast_shapes(a, b))
        expect.equal(_shape(student.broadcast_shape(a, b)), expected, what=f"broadcast_shape({a}, {b})")


# ------------------------------------------------------------------ pairwise_distances

def _expected_distances(P: torch.Tensor, Q: torch.Tensor) -> torch.Tensor:
    diff = P.double()[:, None, :] - Q.double()[None, :, :]
    return (diff * diff).sum(dim=2).sqrt().to(P.dtype)


@check(points=3, clause="distances")
def test_distances_random_points(student, device, rng):
    """Distances between random point sets of several dimensions match the definition."""
    for n, m, d in ((7, 5, 3), (1, 6, 1), (4, 4, 8)):
        P = (torch.randn(n, d, generator=rng) * 3).to(device)
        Q = (torch.randn(m, d, generator=rng) * 3).to(device)
        expect.close(student.pairwise_distances(P, Q), _expected_distances(P, Q),
                     what=f"pairwise_distances(P {tuple(P.shape)}, Q {tuple(Q.shape)})")


@check(points=1, clause="distance_dtype_device")
def test_distances_keep_dtype_and_device(student, device, rng):
    """float64 points give float64 distances; the result lives where the points do (also on meta)."""
    P = torch.randn(6, 3, generator=rng, dtype=torch.float64).to(device)
    Q = torch.randn(4, 3, generator=rng, dtype=torch.float64).to(device)
    expect.close(student.pairwise_distances(P, Q), _expected_distances(P, Q), what="pairwise_distances in float64")
    D = expect.tensor(student.pairwise_distances(torch.empty(5, 2, device="meta"), torch.empty(3, 2, device="meta")),
                      "pairwise_distances on meta tensors")
    expect.true(D.device.type == "meta", f"pairwise_distances of meta tensors returned a tensor on {D.device}")
    expect.shape(D, (5, 3), "pairwise_distances on meta tensors")


@check(points=1, clause="distance_value_error")
def test_distances_reject_bad_shapes(student, device, rng):
    """ValueError when the points have different dimensions or P or Q is not 2-D."""
    cases = [(torch.randn(4, 3, generator=rng), torch.randn(5, 2, generator=rng), "P (4, 3), Q (5, 2)"),
             (torch.randn(4, generator=rng), torch.randn(5, 1, generator=rng), "P (4,), Q (5, 1)"),
             (torch.randn(2, 3, generator=rng), torch.randn(1, 2, 3, generator=rng), "P (2, 3), Q (1, 2, 3)")]
    for P, Q, what in cases:
        with expect.raises(ValueError, what=f"pairwise_distances({what})"):
            student.pairwise_distances(P.to(device), Q.to(device))


# ------------------------------------------------------------------ row_normalize

@check(points=2, clause="rows_sum_to_one")
def test_rows_sum_to_one(student, device, rng):
    """Each row is divided by its own sum."""
    for shape in ((5, 4), (1, 7), (6, 1)):
        A = (torch.rand(*shape, generator=rng) + 0.1).to(device)
        expect.close(student.row_normalize(A), A / A.sum(dim=1, keepdim=True), what=f"row_normalize of shape {shape}")


@check(points=1, clause="keepdim_rows")
def test_square_matrix_divides_rows(student, device, rng):
    """For a square matrix the rows, not the columns, are normalised (keepdim matters)."""
    A = (torch.rand(4, 4, generator=rng) * 5 + 0.5).to(device)
    expect.close(student.row_normalize(A), A / A.sum(dim=1, keepdim=True), what="row_normalize of a 4 x 4 matrix")


@check(points=1, clause="normalize_dtypes")
def test_row_normalize_dtypes(student, device, rng):
    """float64 stays float64 and an integer matrix gives float32."""
    A = (torch.rand(3, 5, generator=rng, dtype=torch.float64) + 0.1).to(device)
    expect.close(student.row_normalize(A), A / A.sum(dim=1, keepdim=True), what="row_normalize in float64")
    B = torch.randint(1, 9, (4, 3), generator=rng).to(device)
    expect.close(student.row_normalize(B), B.float() / B.float().sum(dim=1, keepdim=True),
                 what="row_normalize of an int64 matrix")


@check(points=1, clause="normalize_new_tensor")
def test_row_normalize_leaves_input_alone(student, device, rng):
    """row_normalize returns a new tensor; A is unchanged."""
    A = (torch.rand(4, 3, generator=rng) + 0.1).to(device)
    _, records = student.call_recorded("row_normalize", A)
    expect.equal(records["args_after"][0], A, what="A after row_normalize(A)")
