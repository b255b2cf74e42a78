"""Hidden checks for ch3.data: text_labels, ArrayDataset, num_batches and split_sizes.

ArrayDataset objects stay next to the student's code (student.new_object); the checks read them
through the handle's len / getitem / items. Everything is compared with the reference on seeded
random sizes, dtypes and indices.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch3.data"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "names": "text_labels gives the ten Fashion-MNIST names, in order, as a list for a list or tuple of ints",
    "tensor_indices": "text_labels takes a 1-D integer tensor (any integer dtype, any device) and gives a list",
    "single": "text_labels gives one name as a str for an int or a 0-d integer tensor",
    "index_error": "text_labels raises IndexError for any index outside 0-9, negative ones included",
    "dataset_example": "len(ds) is the number of examples; ds[i] is (float32 features, 0-d int64 label)",
    "dataset_indexing": "ds[i] works for every valid i, negative ones too, with the values unchanged",
    "dataset_dtypes": "features of any dtype come out float32 and labels of any integer dtype int64",
    "dataset_iteration": "indexing out of range raises IndexError, so iterating the data set stops at its end",
    "dataset_value_error": "ArrayDataset raises ValueError when X and y differ in their first dimension",
    "num_batches_example": "num_batches counts the minibatches of an epoch (60000 in 256s: 235, 234 with drop_last)",
    "num_batches_any": "num_batches is an int and right for any n and batch size, with and without drop_last",
    "num_batches_edges": "num_batches at the edges: exact multiples, n < batch_size, n = 0, batch_size = 1",
    "num_batches_errors": "num_batches raises ValueError if batch_size < 1 or n < 0",
    "split_example": "split_sizes(n, f) is (int(n * f), rest): 70000 with 0.8 gives (56000, 14000)",
    "split_truncates": "split_sizes truncates n * f (never rounds) and returns a pair of ints, for any n and f",
    "split_extremes": "split_sizes with f = 0 or 1 leaves one part empty; n = 0 gives (0, 0)",
    "split_errors": "split_sizes raises ValueError if f is outside [0, 1] or n < 0",
}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


# ---------------------------------------------------------------- text_labels

@check(points=2, clause="tensor_indices")
def test_text_labels_tensors(student, reference, device, rng):
    """text_labels takes 1-D tensors of int64, int32 and uint8 labels, on the check's device."""
    for dtype in (torch.int64, torch.int32, torch.uint8):
        t = torch.randint(0, 10, (_int(rng, 3, 9),), generator=rng).to(dtype).to(device)
        got = student.text_labels(t)
        expect.true(type(got) is list, f"text_labels(1-D {dtype} tensor) returned a {type(got).__name__}, "
                    "expected a list")
        expect.equal(got, reference.text_labels(t), what=f"text_labels(1-D {dtype} tensor)")


@check(points=1, clause="single")
def test_text_labels_single(student, reference, device, rng):
    """One int, or a 0-d tensor, gives one name as a str."""
    for i in (0, 9, _int(rng, 1, 8)):
        for value in (i, torch.tensor(i, device=device)):
            got = student.text_labels(value)
            expect.true(type(got) is str, f"text_labels({value!r}) returned a {type(got).__name__}, expected a str")
            expect.equal(got, reference.text_labels(value), what=f"text_labels({value!r})")


@check(points=1, clause="index_error")
def test_text_labels_out_of_range(student, device, rng):
    """Indices outside 0..9 raise IndexError, -1 included."""
    for value in (10, -1, [3, 12], torch.tensor([1, -1]), torch.tensor(10)):
        with expect.raises(IndexError, what=f"text_labels({value!r})"):
            student.text_labels(value)


# ---------------------------------------------------------------- ArrayDataset

def _arrays(rng: torch.Generator, device, x_dtype=torch.float32, y_dtype=torch.int64):
    n, d = _int(rng, 4, 9), _int(rng, 2, 5)
    X = (torch.rand(n, 1, d, 3, generator=rng) * 255).to(x_dtype).to(device)
    y = torch.randint(0, 10, (n,), generator=rng).to(y_dtype).to(device)
    return X, y


def _expect_example(got, X, y, i: int, what: str) -> None:
    expect.true(type(got) in (tuple, list) and len(got) == 2, f"{what} must be a pair (features, label)")
    x, label = got
    expect.close(x, X[i].to(torch.float32), what=f"{what}[0] (the features as float32)")
    expect.equal(label, y[i].to(torch.int64), what=f"{what}[1] (the label as a 0-d int64 tensor)")


@check(points=2, clause="dataset_indexing")
def test_dataset_len_and_items(student, device, rng):
    """len(ds) and ds[i] (negative i too) give the examples and labels."""
    X, y = _arrays(rng, device)
    ds = student.new_object("ArrayDataset", X, y)
    expect.equal(ds.len(), len(X), what="len(ArrayDataset(X, y))")
    for i in (0, len(X) - 1, _int(rng, 1, len(X) - 2), -1):
        _expect_example(ds.getitem(i), X, y, i, f"ds[{i}]")


@check(points=2, clause="dataset_dtypes")
def test_dataset_converts_dtypes(student, device, rng):
    """Features of other dtypes (uint8, float16) come out float32, uint8 / int16 labels come out int64."""
    for x_dtype, y_dtype in ((torch.uint8, torch.uint8), (torch.float16, torch.int16)):
        X, y = _arrays(rng, device, x_dtype, y_dtype)
        ds = student.new_object("ArrayDataset", X, y)
        i = _int(rng, 0, len(X) - 1)
        _expect_example(ds.getitem(i), X, y, i, f"ds[{i}] for {x_dtype} features and {y_dtype} labels")


@check(points=1, clause="dataset_iteration")
def test_dataset_iterates(student, device, rng):
    """Iterating the data set gives every example once, in order, and stops at the end."""
    X, y = _arrays(rng, device, torch.float64, torch.int32)
    items = student.new_object("ArrayDataset", X, y).items(limit=100)
    expect.equal(len(items), len(X), what="number of examples met when iterating the data set "
                 "(ds[len(ds)] must raise IndexError)")
    for i, item in enumerate(items):
        _expect_example(item, X, y, i, f"example {i} of the iteration")


@check(points=1, clause="dataset_value_error")
def test_dataset_length_mismatch(student, device, rng):
    """ArrayDataset(X, y) with different numbers of examples raises ValueError."""
    X, y = _arrays(rng, device)
    for labels in (y[:-1], torch.cat([y, y[:1]])):
        with expect.raises(ValueError, what=f"ArrayDataset(X with {len(X)} rows, y with {len(labels)})"):
            student.new_object("ArrayDataset", X, labels)


# ---------------------------------------------------------------- num_batches

@check(points=2, clause="num_batches_any")
def test_num_batches_random(student, reference, device, rng):
    """num_batches matches the reference for random n and batch sizes, with and without drop_last."""
    for _ in range(4):
        bs = _int(rng, 2, 300)
        n = bs * _int(rng, 0, 50) + _int(rng, 0, bs - 1)
        for drop_last in (False, True):
            got = student.num_batches(n, bs, drop_last=drop_last)
            expect.true(type(got) is int, f"num_batches returned a {type(got).__name__}, expected an int")
            expect.equal(got, reference.num_batches(n, bs, drop_last=drop_last),
                         what=f"num_batches({n}, {bs}, drop_last={drop_last})")


@check(points=1, clause="num_batches_edges")
def test_num_batches_edges(student, reference, device, rng):
    """Exact multiples, n < batch_size, n = 0 and batch_size = 1 (default drop_last is False)."""
    bs = _int(rng, 3, 40)
    for n, b in ((4 * bs, bs), (bs - 1, bs), (0, bs), (bs + 1, 1), (1, 1)):
        for kw in ({}, {"drop_last": True}):
            expect.equal(student.num_batches(n, b, **kw), reference.num_batches(n, b, **kw),
                         what=f"num_batches({n}, {b}{', drop_last=True' if kw else ''})")


@check(points=1, clause="num_batches_errors")
def test_num_batches_errors(student, device, rng):
    """batch_size < 1 or n < 0 raise ValueError."""
    for n, b in ((10, 0), (10, -3), (-1, 4)):
        with expect.raises(ValueError, what=f"num_batches({n}, {b})"):
            student.num_batches(n, b)


# ---------------------------------------------------------------- split_sizes

@check(points=2, clause="split_truncates")
def test_split_sizes_random(student, reference, device, rng):
    """split_sizes truncates n * f and gives the rest to the second part, for random n and f."""
    cases = [(_int(rng, 1, 100_000), float(torch.rand(1, generator=rng))) for _ in range(4)]
    cases += [(10, 0.7), (100, 0.29), (1000, 0.57), (7, 0.5)]   # n * f just below an integer; halves
    for n, f in cases:
        got = student.split_sizes(n, f)
        expect.true(type(got) in (tuple, list) and len(got) == 2 and all(type(v) is int for v in got),
                    f"split_sizes({n}, {f}) must return a pair of ints, got {got!r}")
        expect.equal(tuple(got), reference.split_sizes(n, f), what=f"split_sizes({n}, {f})")


@check(points=1, clause="split_extremes")
def test_split_sizes_extremes(student, reference, device, rng):
    """Fractions 0 and 1 give an empty part; n = 0 gives (0, 0)."""
    n = _int(rng, 5, 500)
    for args in ((n, 0.0), (n, 1.0), (0, 0.5)):
        expect.equal(tuple(student.split_sizes(*args)), reference.split_sizes(*args), what=f"split_sizes{args}")


@check(points=1, clause="split_errors")
def test_split_sizes_errors(student, device, rng):
    """A fraction outside [0, 1] or a negative n raises ValueError."""
    for args in ((100, 1.5), (100, -0.1), (-5, 0.5), (-1, 0.5)):
        with expect.raises(ValueError, what=f"split_sizes{args}"):
            student.split_sizes(*args)
