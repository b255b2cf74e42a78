"""Visible checks for ch2.linalg: the worked examples of the text and a few properties."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch2.linalg"


@check(points=2, clause="norm_examples")
def test_norm_examples(student, device):
    """||(3, -4)||_2 = 5, ||(3, -4)||_1 = 7 and ||ones(4, 9)||_F = 6, as 0-d tensors."""
    u = torch.tensor([3.0, -4.0], device=device)
    expect.close(student.l2_norm(u), torch.tensor(5.0, device=device), what="l2_norm([3, -4])")
    expect.close(student.l1_norm(u), torch.tensor(7.0, device=device), what="l1_norm([3, -4])")
    expect.close(student.frobenius_norm(torch.ones(4, 9, device=device)), torch.tensor(6.0, device=device),
                 what="frobenius_norm(ones(4, 9))")


@check(points=1, clause="frob_value_error")
def test_frobenius_norm_needs_a_matrix(student, device):
    """frobenius_norm raises ValueError for a tensor that is not 2-D (1-D, 3-D or 0-d)."""
    for shape in ((2,), (5,), (2, 3, 4), ()):
        with expect.raises(ValueError, what=f"frobenius_norm of a tensor of shape {shape}"):
            student.frobenius_norm(torch.ones(shape, device=device))


@check(points=2, clause="matvec_example")
def test_matvec_example(student, device):
    """matvec(arange(6).reshape(2, 3), arange(3)) is [5, 14]."""
    A = torch.arange(6.0, device=device).reshape(2, 3)
    x = torch.arange(3.0, device=device)
    expect.close(student.matvec(A, x), torch.tensor([5.0, 14.0], device=device), what="matvec(A, x)")


@check(points=2, clause="matvec_value_error")
def test_matvec_shape_errors(student, device):
    """matvec raises ValueError on mismatched lengths, a 1-D or 3-D A, or a 2-D x."""
    cases = [((2, 3), (2,)), ((3, 4), (3,)), ((4, 3), (4,)), ((3, 3), (2,)), ((6,), (6,)), ((3, 4), (4, 1)),
             ((2, 3, 4), (4,))]
    for a_shape, x_shape in cases:
        with expect.raises(ValueError, what=f"matvec with shapes {a_shape} and {x_shape}"):
            student.matvec(torch.ones(a_shape, device=device), torch.ones(x_shape, device=device))


@check(points=2, clause="stats_example")
def test_column_stats_example(student, device):
    """Columns (4, 1, 3, 2) and (10, 20, 30, 40): medians 2.5 and 25, unbiased std sqrt(5/3) and 12.91."""
    X = torch.tensor([[4.0, 10.0], [1.0, 20.0], [3.0, 30.0], [2.0, 40.0]], device=device)
    got = student.column_stats(X)
    expect.true(type(got) is dict and set(got) == {"mean", "median", "std"},
                "column_stats should return a dict with the keys 'mean', 'median' and 'std'")
    expect.close(got["mean"], torch.tensor([2.5, 25.0], device=device), what="column_stats(X)['mean']")
    expect.close(got["median"], torch.tensor([2.5, 25.0], device=device), what="column_stats(X)['median']")
    std = torch.tensor([(5 / 3) ** 0.5, (500 / 3) ** 0.5], device=device)
    expect.close(got["std"], std, what="column_stats(X)['std']")
    odd = student.column_stats(X[:3])
    expect.close(odd["median"], torch.tensor([3.0, 20.0], device=device), what="column_stats(X[:3])['median']")


@check(points=2, clause="rank_examples")
def test_matrix_rank_examples(student, device):
    """The identity has full rank, the zero matrix rank 0, an outer product rank 1, whatever the scale."""
    expect.equal(student.matrix_rank(torch.eye(4, device=device)), 4, what="matrix_rank(eye(4))")
    expect.equal(student.matrix_rank(torch.zeros(3, 5, device=device)), 0, what="matrix_rank(zeros(3, 5))")
    outer = torch.outer(torch.arange(1.0, 5.0), torch.arange(1.0, 4.0)).to(device)
    expect.equal(student.matrix_rank(outer), 1, what="matrix_rank of a 4x3 outer product")
    expect.equal(student.matrix_rank(outer * 1e6), 1, what="matrix_rank of the outer product times 1e6")
