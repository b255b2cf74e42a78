"""Visible checks for ch2.storage: the `points` example of the text and the rules for contiguity."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch2.storage"


def _points_storage(device: torch.device) -> torch.Tensor:
    return torch.tensor([1.0, 4.0, 2.0, 1.0, 3.0, 5.0], device=device)


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


@check(points=2, clause="strides_example")
def test_contiguous_strides_examples(student):
    """contiguous_strides gives (2, 1) for (3, 2), (12, 4, 1) for (2, 3, 4) and (1,) for (5,)."""
    for shape, expected in [((3, 2), (2, 1)), ((2, 3, 4), (12, 4, 1)), ((5,), (1,))]:
        expect.equal(student.contiguous_strides(shape), expected, what=f"contiguous_strides({shape})")


@check(points=2, clause="strides_zero_one")
def test_contiguous_strides_sizes_zero_and_one(student, rng):
    """A size-0 dimension counts as 1 ((2, 0, 3) gives (3, 3, 1)), size-1 dimensions too, and () gives ()."""
    shapes = [(2, 0, 3), (), (1,), (0,), (1, 1, 1), (_int(rng, 2, 5), 0, _int(rng, 2, 5)),
              (0, _int(rng, 2, 5), _int(rng, 2, 5)), (_int(rng, 2, 5), 1, _int(rng, 2, 5), 1),
              (_int(rng, 2, 4), 0, 1, 0, _int(rng, 2, 4))]
    for shape in shapes:
        expect.equal(student.contiguous_strides(shape), tuple(torch.empty(shape).stride()),
                     what=f"contiguous_strides({shape})")


@check(points=1, clause="index_example")
def test_storage_index_points(student):
    """points[2, 1] sits at storage place 5; points[1] starts at place 2."""
    expect.equal(student.storage_index((2, 1), (2, 1)), 5, what="storage_index((2, 1), (2, 1))")
    expect.equal(student.storage_index((0,), (1,), offset=2), 2, what="storage_index((0,), (1,), offset=2)")


@check(points=1, clause="index_length")
def test_storage_index_length_mismatch(student, rng):
    """storage_index raises ValueError when index and stride have different lengths."""
    for index, stride in [((1, 2), (1,)), ((1,), (4, 1)), ((), (1,)), ((1, 0, 2), (6, 3, 2, 1))]:
        with expect.raises(ValueError, what=f"storage_index({index}, {stride})"):
            student.storage_index(index, stride)


@check(points=2, clause="view_example")
def test_view_from_storage_points(student, device):
    """view_from_storage rebuilds points, points[1] and points.t() from the storage 1, 4, 2, 1, 3, 5,
    and keeps an int64 storage's dtype."""
    storage = _points_storage(device)
    points = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]], device=device)
    expect.equal(student.view_from_storage(storage, (3, 2), (2, 1)), points,
                 what="view_from_storage(storage, (3, 2), (2, 1))")
    expect.equal(student.view_from_storage(storage, (2,), (1,), 2), points[1],
                 what="view_from_storage(storage, (2,), (1,), 2)")
    expect.equal(student.view_from_storage(storage, (2, 3), (1, 2)), points.t().contiguous(),
                 what="view_from_storage(storage, (2, 3), (1, 2))")
    ints = torch.arange(6, device=device)
    expect.equal(student.view_from_storage(ints, (2, 2), (2, 1), 1),
                 torch.tensor([[1, 2], [3, 4]], device=device),
                 what="view_from_storage(arange(6), (2, 2), (2, 1), 1) keeps int64")


@check(points=2, clause="view_index_error")
def test_view_from_storage_outside(student, device, rng):
    """view_from_storage raises IndexError when an entry would lie before or after the storage."""
    storage = _points_storage(device)
    with expect.raises(IndexError, what="view_from_storage(points' storage, (3, 2), (2, 1), 1)"):
        student.view_from_storage(storage, (3, 2), (2, 1), 1)
    n = _int(rng, 6, 10)
    storage = torch.randn(n, generator=rng).to(device)
    cases = [((2, 3), (3, 1), n - 5),      # last entry one place past the end
             ((n + 1,), (1,), 0),           # one entry too many
             ((2, 2), (1, 1), -1),          # a negative offset
             ((3,), (-1,), 1),              # a negative stride walking below 0
             ((1,), (1,), n)]               # a single entry just past the end
    for shape, stride, offset in cases:
        with expect.raises(IndexError, what=f"view_from_storage(storage of {n}, {shape}, {stride}, {offset})"):
            student.view_from_storage(storage, shape, stride, offset)


@check(points=2, clause="contig_example")
def test_is_contiguous_examples(student):
    """points is contiguous, points.t() is not, and neither is a vector that skips every other place."""
    for shape, stride, expected in [((3, 2), (2, 1), True), ((2, 3), (1, 2), False), ((4,), (2,), False)]:
        expect.equal(student.is_contiguous(shape, stride), expected, what=f"is_contiguous({shape}, {stride})")
