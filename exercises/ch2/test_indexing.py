"""Visible checks for ch2.indexing: run them with `pytest exercises/ch2`."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch2.indexing"


@check(points=2, clause="mean_example")
def test_loop_mean_of_one_to_24(student, device, rng):
    """The 4 x 2 x 3 tensor holding 1 ... 24 has mean 12.5; [[1, 2], [4, 4]] has mean 2.75."""
    T = torch.arange(1, 25, device=device).reshape(4, 2, 3)
    expect.close(student.loop_mean(T), 12.5, what="loop_mean(arange(1, 25).reshape(4, 2, 3))")
    expect.close(student.loop_mean(torch.tensor([[1, 2], [4, 4]], device=device)), 2.75,
                 what="loop_mean([[1, 2], [4, 4]])")


@check(points=2, clause="find_example")
def test_find_13(student, device, rng):
    """13 sits at (2, 0, 0) in the 4 x 2 x 3 tensor holding 1 ... 24."""
    T = torch.arange(1, 25, device=device).reshape(4, 2, 3)
    expect.equal(student.find_value(T, 13), (2, 0, 0), what="find_value(T, 13)")


@check(points=2, clause="find_absent")
def test_find_value_absent_raises(student, device, rng):
    """ValueError when no entry equals v: 25 in 1 ... 24, 2.0 in a 0-d tensor(1.0), and NaN (equal to nothing)."""
    T = torch.arange(1, 25, device=device).reshape(4, 2, 3)
    F = torch.tensor([[0.5, float("nan")], [1.0, -2.0]], device=device)
    for tensor, v, what in ((T, 25, "find_value(T, 25)"), (torch.tensor(1.0, device=device), 2.0,
                            "find_value(tensor(1.0), 2.0)"), (F, float("nan"), "find_value(F, nan)")):
        with expect.raises(ValueError, what=what):
            student.find_value(tensor, v)


@check(points=2, clause="column_copy")
def test_with_column_sets_a_copy(student, device, rng):
    """with_column(X, 2, 17.0) sets column 2 of a copy; X keeps its values."""
    X = torch.arange(12, dtype=torch.float32, device=device).reshape(3, 4)
    for X, j, v in ((X, 2, 17.0), (torch.randn(5, 3, generator=rng).to(device), 1, 100.0)):
        expected = X.clone()
        expected[:, j] = v
        value, records = student.call_recorded("with_column", X, j, v)
        expect.equal(value, expected, what=f"with_column(X, {j}, {v})")
        expect.equal(records["args_after"][0], X, what=f"X after with_column(X, {j}, {v})")


@check(points=2, clause="above_example")
def test_keep_above_half(student, device, rng):
    """keep_above(X, 0.5) zeroes the entries <= 0.5 (0.5 itself included)."""
    X = torch.tensor([[0.1, 0.7, 0.5], [0.9, -2.0, 0.51]], device=device)
    expected = torch.tensor([[0.0, 0.7, 0.0], [0.9, 0.0, 0.51]], device=device)
    expect.equal(student.keep_above(X, 0.5), expected, what="keep_above(X, 0.5)")
