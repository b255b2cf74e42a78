"""Visible checks for ch2.storage: the `points` example of the text and the rules for contiguity."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch2.storage"


def _points_storage(device: torch.device) -> torch.Tensor:
    return torch.tensor([1.0, 4.0, 2.0, 1.0, 3.0, 5.0], device=device)


@check(points=2)
def test_contiguous_strides_examples(student):
    """contiguous_strides gives (2, 1) for (3, 2), (12, 4, 1) for (2, 3, 4) and (3, 3, 1) for (2, 0, 3)."""
    for shape, expected in [((3, 2), (2, 1)), ((2, 3, 4), (12, 4, 1)), ((2, 0, 3), (3, 3, 1)),
                            ((5,), (1,)), ((), ())]:
        expect.equal(student.contiguous_strides(shape), expected, what=f"contiguous_strides({shape})")


@check(points=1)
def test_storage_index_points(student):
    """points[2, 1] sits at storage place 5; points[1] starts at place 2."""
    expect.equal(student.storage_index((2, 1), (2, 1)), 5, what="storage_index((2, 1), (2, 1))")
    expect.equal(student.storage_index((0,), (1,), offset=2), 2, what="storage_index((0,), (1,), offset=2)")
    with expect.raises(ValueError, what="storage_index((1, 2), (1,))"):
        student.storage_index((1, 2), (1,))


@check(points=2)
def test_view_from_storage_points(student, device):
    """view_from_storage rebuilds points, points[1] and points.t() from the storage 1, 4, 2, 1, 3, 5."""
    storage = _points_storage(device)
    points = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]], device=device)
    expect.equal(student.view_from_storage(storage, (3, 2), (2, 1)), points,
                 what="view_from_storage(storage, (3, 2), (2, 1))")
    expect.equal(student.view_from_storage(storage, (2,), (1,), 2), points[1],
                 what="view_from_storage(storage, (2,), (1,), 2)")
    expect.equal(student.view_from_storage(storage, (2, 3), (1, 2)), points.t().contiguous(),
                 what="view_from_storage(storage, (2, 3), (1, 2))")
    ints = torch.arange(6, device=device)
    expect.equal(student.view_from_storage(ints, (2, 2), (0, 1), 3),
                 torch.tensor([[3, 4], [3, 4]], device=device),
                 what="view_from_storage(arange(6), (2, 2), (0, 1), 3) keeps int64")


@check(points=1)
def test_view_from_storage_outside(student, device):
    """view_from_storage raises IndexError when an entry would lie outside the storage."""
    storage = _points_storage(device)
    with expect.raises(IndexError, what="view_from_storage(storage, (3, 2), (2, 1), 1)"):
        student.view_from_storage(storage, (3, 2), (2, 1), 1)


@check(points=2)
def test_is_contiguous_examples(student):
    """points is contiguous, points.t() is not; size-1 dimensions and empty tensors are handled."""
    cases = [((3, 2), (2, 1), True), ((2, 3), (1, 2), False), ((2, 3), (6, 2), False),
             ((3, 1), (1, 7), True), ((2, 0, 3), (5, 5, 5), True), ((4,), (2,), False)]
    for shape, stride, expected in cases:
        expect.equal(student.is_contiguous(shape, stride), expected, what=f"is_contiguous({shape}, {stride})")
