"""Visible checks for ch3.data: run them with `pytest exercises/ch3/test_data.py`."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch3.data"

NAMES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]


@check(points=2, clause="names")
def test_text_labels(student, device, rng):
    """The ten names in order, as a list, for a list and for a tuple of ints."""
    expect.equal(student.text_labels(list(range(10))), NAMES, what="text_labels([0, ..., 9])")
    expect.equal(student.text_labels((9, 0, 6)), ["ankle boot", "t-shirt", "shirt"], what="text_labels((9, 0, 6))")


@check(points=2, clause="dataset_example")
def test_array_dataset(student, device, rng):
    """len(ds), and ds[2] of float64 features and int32 labels: float32 features, a 0-d int64 label."""
    X = torch.arange(12, dtype=torch.float64, device=device).reshape(4, 3)
    y = torch.tensor([3, 1, 4, 1], dtype=torch.int32, device=device)
    ds = student.new_object("ArrayDataset", X, y)
    expect.equal(ds.len(), 4, what="len(ds)")
    x, label = ds.getitem(2)
    expect.equal(x, torch.tensor([6.0, 7.0, 8.0], device=device), what="ds[2][0]")
    expect.equal(label, torch.tensor(4, device=device), what="ds[2][1]")


@check(points=2, clause="num_batches_example")
def test_num_batches(student, device, rng):
    """60 000 images in batches of 256: 235 batches, 234 with drop_last; 512 in 256s: exactly 2."""
    expect.equal(student.num_batches(60000, 256), 235, what="num_batches(60000, 256)")
    expect.equal(student.num_batches(60000, 256, drop_last=True), 234, what="num_batches(60000, 256, drop_last=True)")
    expect.equal(student.num_batches(512, 256), 2, what="num_batches(512, 256)")


@check(points=2, clause="split_example")
def test_split_sizes(student, device, rng):
    """70 000 with 0.8 gives (56000, 14000); 10 with 0.7 gives (7, 3); the sizes add up to n."""
    expect.equal(tuple(student.split_sizes(70000, 0.8)), (56000, 14000), what="split_sizes(70000, 0.8)")
    expect.equal(tuple(student.split_sizes(10, 0.7)), (7, 3), what="split_sizes(10, 0.7)")
