"""Visible checks for ch2.broadcasting: run them with `pytest exercises/ch2`."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch2.broadcasting"


@check(points=2, clause="shape_examples")
def test_broadcast_shape_examples(student, device, rng):
    """(3, 1) with (1, 2) gives (3, 2); (8, 1, 6, 1) with (7, 1, 5) gives (8, 7, 6, 5)."""
    expect.equal(student.broadcast_shape((3, 1), (1, 2)), (3, 2), what="broadcast_shape((3, 1), (1, 2))")
    expect.equal(student.broadcast_shape((8, 1, 6, 1), (7, 1, 5)), (8, 7, 6, 5),
                 what="broadcast_shape((8, 1, 6, 1), (7, 1, 5))")


@check(points=2, clause="conflict")
def test_broadcast_shape_conflict(student, device, rng):
    """(2, 3) and (3, 2) cannot be broadcast, nor can two sizes that differ and are not 1 anywhere else: ValueError."""
    for a, b in [((2, 3), (3, 2)), ((3,), (4,)), ((5, 2, 1), (4, 1, 1)), ((4, 2, 3), (3, 3)), ((0,), (3,))]:
        with expect.raises(ValueError, what=f"broadcast_shape({a}, {b})"):
            student.broadcast_shape(a, b)


@check(points=2, clause="distance_example")
def test_distances_small_example(student, device, rng):
    """The distances from (0, 0) and (3, 4) to (0, 0) and (3, 0) are [[0, 3], [5, 4]]."""
    P = torch.tensor([[0.0, 0.0], [3.0, 4.0]], device=device)
    Q = torch.tensor([[0.0, 0.0], [3.0, 0.0]], device=device)
    expect.close(student.pairwise_distances(P, Q), torch.tensor([[0.0, 3.0], [5.0, 4.0]], device=device),
                 what="pairwise_distances(P, Q)")


@check(points=2, clause="exact_zero")
def test_distance_to_itself_is_zero(student, device, rng):
    """Every point of a (100, 2) cloud is at distance exactly 0 from itself, and from its copy in another set."""
    P = torch.rand(100, 2, generator=rng).to(device) * 10
    D = expect.tensor(student.pairwise_distances(P, P), "pairwise_distances(P, P)")
    expect.shape(D, (100, 100), "pairwise_distances(P, P)")
    expect.equal(D.diagonal(), torch.zeros(100, device=device), what="the diagonal of pairwise_distances(P, P)")
    # far from the origin, where the |p|^2 + |q|^2 - 2 p.q shortcut loses every digit of a small distance
    P = (torch.randn(12, 5, generator=rng) * 50 + 100).to(device)
    Q = torch.cat([P[[3, 0, 7]], (torch.randn(2, 5, generator=rng) * 50 + 100).to(device)])
    D = expect.tensor(student.pairwise_distances(P, Q), "pairwise_distances(P, Q)")
    expect.shape(D, (12, 5), "pairwise_distances(P, Q)")
    expect.finite(D, "pairwise_distances(P, Q)")
    expect.equal(torch.stack([D[3, 0], D[0, 1], D[7, 2]]), torch.zeros(3, device=device),
                 what="distances between the points of P that Q holds too")


@check(points=2, clause="normalize_example")
def test_row_normalize_example(student, device, rng):
    """[[0, 1, 2], [3, 4, 5]] becomes [[0, 1/3, 2/3], [1/4, 1/3, 5/12]]."""
    A = torch.arange(6, dtype=torch.float32, device=device).reshape(2, 3)
    expected = torch.tensor([[0.0, 1 / 3, 2 / 3], [0.25, 1 / 3, 5 / 12]], device=device)
    expect.close(student.row_normalize(A), expected, what="row_normalize(A)")


@check(points=1, clause="normalize_value_error")
def test_row_normalize_zero_row(student, device, rng):
    """A row of zeros cannot be normalised, wherever it is: ValueError."""
    for row in (0, 1, 2):
        A = torch.tensor([[1.0, 2.0], [3.0, 1.0], [2.0, 2.0]], device=device)
        A[row] = 0.0
        with expect.raises(ValueError, what=f"row_normalize(A) with row {row} all zeros"):
            student.row_normalize(A)
