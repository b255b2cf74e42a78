"""Hidden checks for ch2.storage.

The expected values come from PyTorch itself where it has the same notion (`torch.empty(shape)
.stride()`, `Tensor.as_strided`, `Tensor.is_contiguous`, computed here in the judge), and from the
reference where PyTorch has none (negative strides, error cases). Shapes are drawn from `rng`
with sizes of 0 and 1 mixed in, because that is where hand-written rules usually go wrong.
"""

from __future__ import annotations

import math

import torch

from grader.checks import check, expect, specs

EXERCISE = "ch2.storage"

# The contract (the exercise's "What to write" and the rules it refers to), one sentence a
# clause; each check names the one it charges.
CLAUSES = {
    "strides_example": "contiguous_strides gives the row-major strides: (3, 2) -> (2, 1), (2, 3, 4) -> (12, 4, 1)",
    "strides_any": "contiguous_strides agrees with PyTorch for any shape of rank 1 to 5, given as a tuple, "
                   "a list or a torch.Size, and returns a tuple of ints",
    "strides_zero_one": "a size-0 dimension counts as 1 in the product, and a 0-d shape gives ()",
    "strides_negative": "contiguous_strides raises ValueError for a negative size",
    "index_example": "storage_index is offset + sum(index * stride): points[2, 1] sits at 5, points[1] starts at 2",
    "index_any": "storage_index is right for any rank, strides and offset (the default offset 0 included), "
                 "for tuples, lists and torch.Size",
    "index_length": "storage_index raises ValueError when index and stride differ in length",
    "view_example": "view_from_storage rebuilds points, points[1] and points.t() from their storage, in its dtype",
    "view_any": "view_from_storage equals storage.as_strided(shape, stride, offset) for any layout, dtype and "
                "sequence type",
    "view_zero_negative": "view_from_storage takes stride 0 (a repeated value), negative strides and the default "
                          "offset",
    "view_index_error": "view_from_storage raises IndexError when an entry falls before or after the storage",
    "view_value_error": "view_from_storage raises ValueError for a storage that is not 1-D or shape and stride "
                        "of different lengths",
    "view_empty": "a shape with no entries gives an empty tensor (never IndexError), and shape () a 0-d one",
    "view_new": "view_from_storage returns a new tensor, never the storage itself, and leaves the storage unchanged",
    "contig_example": "points is contiguous, points.t() is not, and a vector that skips places is not",
    "contig_any": "is_contiguous agrees with Tensor.is_contiguous on row-major, permuted and gapped layouts",
    "contig_size_one": "is_contiguous ignores the stride of a size-1 dimension",
    "contig_empty": "is_contiguous is True for every layout with no entries, whatever its strides",
    "contig_decreasing": "decreasing strides are not enough: strides with gaps are not contiguous",
    "contig_length": "is_contiguous raises ValueError when shape and stride differ in length",
}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _shape(rng: torch.Generator, rank: int, low: int = 1, high: int = 5) -> tuple:
    return tuple(_int(rng, low, high) for _ in range(rank))


def _span(shape: tuple, stride: tuple) -> int:
    """Storage places a view with non-negative strides and offset 0 reaches (0 for an empty shape)."""
    if math.prod(shape) == 0:
        return 0
    return 1 + sum((n - 1) * s for n, s in zip(shape, stride))


def _storage(rng: torch.Generator, n: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    if dtype.is_floating_point:
        return torch.randn(n, generator=rng).to(dtype).to(device)
    return torch.randint(-1000, 1000, (n,), generator=rng).to(dtype).to(device)


# ---------------------------------------------------------------- contiguous_strides

@check(points=2, clause="strides_any")
def test_contiguous_strides_random_shapes(student, rng):
    """contiguous_strides agrees with torch.empty(shape).stride() on random shapes of rank 1 to 5."""
    for rank in (1, 2, 3, 4, 5, 3, 4):
        shape = _shape(rng, rank, 1, 6)
        expect.equal(student.contiguous_strides(shape), tuple(torch.empty(shape).stride()),
                     what=f"contiguous_strides({shape})")
    shape = _shape(rng, 3, 2, 5)
    expect.equal(student.contiguous_strides(list(shape)), tuple(torch.empty(shape).stride()),
                 what=f"contiguous_strides({list(shape)}) (a list)")
    expect.equal(student.contiguous_strides(torch.Size(shape)), tuple(torch.empty(shape).stride()),
                 what=f"contiguous_strides(torch.Size({list(shape)}))")


@check(points=1, clause="strides_negative")
def test_contiguous_strides_negative_size(student, rng):
    """contiguous_strides raises ValueError for a negative size."""
    for shape in [(2, -1), (-3,), (_int(rng, 1, 4), _int(rng, 1, 4), -2)]:
        with expect.raises(ValueError, what=f"contiguous_strides({shape})"):
            student.contiguous_strides(shape)


# ---------------------------------------------------------------- storage_index

@check(points=2, clause="index_any")
def test_storage_index_random(student, reference, rng):
    """storage_index gives offset + sum(index * stride) for random indices, strides and offsets."""
    for rank in (1, 2, 3, 4, 5, 0):
        index = _shape(rng, rank, 0, 6)
        stride = _shape(rng, rank, 0, 30)
        offset = _int(rng, 0, 50)
        expect.equal(student.storage_index(index, stride, offset),
                     reference.storage_index(index, stride, offset),
                     what=f"storage_index({index}, {stride}, {offset})")
    index, stride = _shape(rng, 3, 0, 4), _shape(rng, 3, 1, 9)
    expect.equal(student.storage_index(index, stride), reference.storage_index(index, stride),
                 what=f"storage_index({index}, {stride}) with the default offset")
    expect.equal(student.storage_index([2, 1], torch.Size([2, 1]), offset=3), 8,
                 what="storage_index([2, 1], torch.Size([2, 1]), offset=3)")


# ---------------------------------------------------------------- view_from_storage

@check(points=3, clause="view_any")
def test_view_from_storage_matches_as_strided(student, device, rng):
    """view_from_storage equals storage.as_strided(shape, stride, offset) for random layouts and dtypes."""
    cases = []
    for rank, dtype in ((1, torch.float32), (2, torch.float32), (3, torch.float64), (2, torch.int64),
                        (4, torch.float32), (3, torch.int32)):
        shape = _shape(rng, rank, 1, 4)
        stride = _shape(rng, rank, 1, 7)
        cases.append((shape, stride, dtype))
    transposed = (_int(rng, 2, 5), _int(rng, 2, 5))
    cases.append((transposed, (1, transposed[0]), torch.float32))  # a transpose
    for n, (shape, stride, dtype) in enumerate(cases):
        offset = _int(rng, 0, 6)
        storage = _storage(rng, offset + _span(shape, stride) + _int(rng, 0, 3), dtype, device)
        expected = storage.as_strided(shape, stride, offset).clone()
        # the sequences may come as tuples, lists or torch.Size
        shape_arg, stride_arg = ((shape, stride), (torch.Size(shape), list(stride)), (list(shape), stride))[n % 3]
        expect.equal(student.view_from_storage(storage, shape_arg, stride_arg, offset), expected,
                     what=f"view_from_storage(storage of {storage.numel()} {dtype}, {shape_arg!r}, {stride_arg!r}, "
                          f"{offset})")


@check(points=2, clause="view_zero_negative")
def test_view_from_storage_zero_and_negative_strides(student, reference, device, rng):
    """view_from_storage handles stride 0 (repeated values), negative strides and the default offset."""
    storage = _storage(rng, 12, torch.float32, device)
    cases = [((3, 4), (0, 1), 2), ((4, 3), (1, 0), 0), ((5,), (-2,), 9), ((2, 3), (-1, -3), 11),
             ((3, 2), (-4, 1), 8)]
    for shape, stride, offset in cases:
        expect.equal(student.view_from_storage(storage, shape, stride, offset),
                     reference.view_from_storage(storage, shape, stride, offset),
                     what=f"view_from_storage(storage of 12, {shape}, {stride}, {offset})")
    expect.equal(student.view_from_storage(storage, (3, 4), (4, 1)), storage.reshape(3, 4),
                 what="view_from_storage(storage of 12, (3, 4), (4, 1)) with the default offset")


@check(points=1, clause="view_value_error")
def test_view_from_storage_bad_arguments(student, device, rng):
    """view_from_storage raises ValueError for a storage that is not 1-D or mismatched shape and stride."""
    storage = _storage(rng, 12, torch.float32, device)
    with expect.raises(ValueError, what="view_from_storage(a 3x4 storage, (2, 2), (2, 1))"):
        student.view_from_storage(storage.reshape(3, 4), (2, 2), (2, 1))
    with expect.raises(ValueError, what="view_from_storage(storage, (2, 2), (1,))"):
        student.view_from_storage(storage, (2, 2), (1,))
    with expect.raises(ValueError, what="view_from_storage(storage, (4,), (1, 1))"):
        student.view_from_storage(storage, (4,), (1, 1))


@check(points=1, clause="view_empty")
def test_view_from_storage_empty(student, device, rng):
    """view_from_storage returns empty tensors for empty shapes (offsets past the end too) and a 0-d one for ()."""
    storage = _storage(rng, 8, torch.float64, device)
    for shape, stride, offset in [((0,), (1,), 0), ((3, 0), (1, 1), 5), ((0, 2), (2, 1), 20)]:
        expect.equal(student.view_from_storage(storage, shape, stride, offset),
                     torch.empty(shape, dtype=torch.float64, device=device),
                     what=f"view_from_storage(storage of 8, {shape}, {stride}, {offset})")
    expect.equal(student.view_from_storage(storage, (), (), 3), storage[3].clone(),
                 what="view_from_storage(storage of 8, (), (), 3)")


@check(points=1, clause="view_new")
def test_view_from_storage_new_tensor(student, device, rng):
    """view_from_storage returns a new tensor, even for the storage's own layout, and leaves the storage alone."""
    storage = _storage(rng, 8, torch.float32, device)
    _, records = student.call_recorded("view_from_storage", specs.tensor(storage, label="s"), (8,), (1,), 0)
    expect.true(not records["s"]["is_result"], "view_from_storage(storage, (8,), (1,), 0) returned the storage "
                "itself, not a new tensor")
    _, records = student.call_recorded("view_from_storage", storage, (2, 3), (1, 2), 1)
    expect.equal(records["args_after"][0], storage, what="the storage after view_from_storage")


# ---------------------------------------------------------------- is_contiguous

def _torch_is_contiguous(shape: tuple, stride: tuple) -> bool:
    return bool(torch.empty(max(_span(shape, stride), 1)).as_strided(shape, stride).is_contiguous())


@check(points=3, clause="contig_any")
def test_is_contiguous_random_layouts(student, rng):
    """is_contiguous agrees with Tensor.is_contiguous on random row-major, permuted and gapped layouts."""
    for rank in (1, 2, 3, 4, 2, 3, 4, 3):
        shape = _shape(rng, rank, 2, 4)
        row_major = tuple(torch.empty(shape).stride())
        perm = torch.randperm(rank, generator=rng).tolist()
        if perm == list(range(rank)):
            perm = perm[::-1]
        permuted_shape = tuple(shape[p] for p in perm)
        permuted_stride = tuple(row_major[p] for p in perm)
        gap = _int(rng, 2, 3)
        gapped = tuple(s * gap for s in row_major)
        last_gapped = row_major[:-1] + (row_major[-1] * gap,)
        for sh, st in ((shape, row_major), (permuted_shape, permuted_stride), (shape, gapped),
                       (shape, last_gapped)):
            expect.equal(student.is_contiguous(sh, st), _torch_is_contiguous(sh, st),
                         what=f"is_contiguous({sh}, {st})")
    expect.equal(student.is_contiguous(torch.Size(shape), list(row_major)), True,
                 what=f"is_contiguous(torch.Size({list(shape)}), {list(row_major)})")


@check(points=1, clause="contig_size_one")
def test_is_contiguous_size_one(student, rng):
    """is_contiguous ignores the stride of size-1 dimensions: (3, 1) with strides (1, 7) is contiguous."""
    a, b = _int(rng, 2, 5), _int(rng, 2, 5)
    cases = [((3, 1), (1, 7)), ((a, 1), (1, _int(rng, 2, 9))), ((1, a), (_int(rng, 2, 9), 1)),
             ((a, 1, b), (b, _int(rng, 5, 9), 1)), ((1,), (_int(rng, 2, 9),)), ((1, 1), (0, 0)),
             ((), ()), ((a, 1, b), (b + 1, 1, 1))]
    for shape, stride in cases:
        expect.equal(student.is_contiguous(shape, stride), _torch_is_contiguous(shape, stride),
                     what=f"is_contiguous({shape}, {stride})")


@check(points=1, clause="contig_empty")
def test_is_contiguous_empty(student, rng):
    """is_contiguous calls every layout without entries contiguous, whatever its strides."""
    a, b = _int(rng, 2, 5), _int(rng, 2, 5)
    for shape, stride in [((2, 0, 3), (5, 5, 5)), ((a, 0), (1, 1)), ((0, b), (_int(rng, 2, 9), 3)),
                          ((a, 0, b), (7, 7, 7)), ((0,), (3,))]:
        expect.equal(student.is_contiguous(shape, stride), True, what=f"is_contiguous({shape}, {stride})")


@check(points=1, clause="contig_decreasing")
def test_is_contiguous_decreasing_is_not_enough(student, rng):
    """is_contiguous is False for decreasing strides with gaps: (2, 3) with strides (6, 2) is not contiguous."""
    a, b = _int(rng, 2, 5), _int(rng, 2, 5)
    for shape, stride in [((2, 3), (6, 2)), ((a, b), (2 * b, 2)), ((a, b), (b + 1, 1)), ((a, b), (b, 0)),
                          ((a, b), (1, a))]:
        expect.equal(student.is_contiguous(shape, stride), False, what=f"is_contiguous({shape}, {stride})")


@check(points=1, clause="contig_length")
def test_is_contiguous_length_mismatch(student, rng):
    """is_contiguous raises ValueError when shape and stride have different lengths."""
    for shape, stride in [((2, 3), (1,)), ((4,), (1, 1)), ((), (1,))]:
        with expect.raises(ValueError, what=f"is_contiguous({shape}, {stride})"):
            student.is_contiguous(shape, stride)
