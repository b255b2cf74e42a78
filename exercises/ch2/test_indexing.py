"""Visible checks for ch2.indexing: run them with `pytest exercises/ch2`."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch2.indexing"


@check(points=2)
def test_loop_mean_of_one_to_24(student, device, rng):
    """The 4 x 2 x 3 tensor holding 1 ... 24 has mean 12.5; [[1, 2], [4, 4]] has mean 2.75."""
    T = torch.arange(1, 25, device=device).reshape(4, 2, 3)
    expect.close(student.loop_mean(T), 12.5, what="loop_mean(arange(1, 25).reshape(4, 2, 3))")
    expect.close(student.loop_mean(torch.tensor([[1, 2], [4, 4]], device=device)), 2.75,
                 what="loop_mean([[1, 2], [4, 4]])")


@check(points=2)
def test_find_13(student, device, rng):
    """13 sits at (2, 0, 0) in the 4 x 2 x 3 tensor holding 1 ... 24; 25 is not there (ValueError)."""
    T = torch.arange(1, 25, device=device).reshape(4, 2, 3)
    expect.equal(student.find_value(T, 13), (2, 0, 0), what="find_value(T, 13)")
    with expect.raises(ValueError, what="find_value(T, 25)"):
        student.find_value(T, 25)


@check(points=2)
def test_with_column_sets_a_copy(student, device, rng):
    """with_column(X, 2, 17.0) sets column 2 of a copy; X keeps its values."""
    X = torch.arange(12, dtype=torch.float32, device=device).reshape(3, 4)
    expected = X.clone()
    expected[:, 2] = 17.0
    value, records = student.call_recorded("with_column", X, 2, 17.0)
    expect.equal(value, expected, what="with_column(X, 2, 17.0)")
    expect.equal(records["args_after"][0], X, what="X after with_column(X, 2, 17.0)")


@check(points=2)
def test_keep_above_half(student, device, rng):
    """keep_above(X, 0.5) zeroes the entries <= 0.5 (0.5 itself included)."""
    X = torch.tensor([[0.1, 0.7, 0.5], [0.9, -2.0, 0.51]], device=device)
    expected = torch.tensor([[0.0, 0.7, 0.0], [0.9, 0.0, 0.51]], device=device)
    expect.equal(student.keep_above(X, 0.5), expected, what="keep_above(X, 0.5)")
