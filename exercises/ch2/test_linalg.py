"""Visible checks for ch2.linalg: the worked examples of the text and a few properties."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch2.linalg"


@check(points=2)
def test_norm_examples(student, device):
    """||(3, -4)||_2 = 5, ||(3, -4)||_1 = 7 and ||ones(4, 9)||_F = 6, as 0-d tensors."""
    u = torch.tensor([3.0, -4.0], device=device)
    expect.close(student.l2_norm(u), torch.tensor(5.0, device=device), what="l2_norm([3, -4])")
    expect.close(student.l1_norm(u), torch.tensor(7.0, device=device), what="l1_norm([3, -4])")
    expect.close(student.frobenius_norm(torch.ones(4, 9, device=device)), torch.tensor(6.0, device=device),
                 what="frobenius_norm(ones(4, 9))")
    expect.close(student.l1_norm(u.double()), torch.tensor(7.0, dtype=torch.float64, device=device),
                 what="l1_norm of a float64 vector (keeps float64)")
    with expect.raises(ValueError, what="frobenius_norm of a 1-D tensor"):
        student.frobenius_norm(u)


@check(points=2)
def test_matvec_example(student, device):
    """matvec(arange(6).reshape(2, 3), arange(3)) is [5, 14]; a length mismatch raises ValueError."""
    A = torch.arange(6.0, device=device).reshape(2, 3)
    x = torch.arange(3.0, device=device)
    expect.close(student.matvec(A, x), torch.tensor([5.0, 14.0], device=device), what="matvec(A, x)")
    with expect.raises(ValueError, what="matvec of a (2, 3) matrix and a vector of length 2"):
        student.matvec(A, torch.ones(2, device=device))


@check(points=2)
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


@check(points=2)
def test_matrix_rank_examples(student, device):
    """The identity has full rank, the zero matrix rank 0, an outer product rank 1, whatever the scale."""
    expect.equal(student.matrix_rank(torch.eye(4, device=device)), 4, what="matrix_rank(eye(4))")
    expect.equal(student.matrix_rank(torch.zeros(3, 5, device=device)), 0, what="matrix_rank(zeros(3, 5))")
    outer = torch.outer(torch.arange(1.0, 5.0), torch.arange(1.0, 4.0)).to(device)
    expect.equal(student.matrix_rank(outer), 1, what="matrix_rank of a 4x3 outer product")
    expect.equal(student.matrix_rank(outer * 1e6), 1, what="matrix_rank of the outer product times 1e6")
    D = torch.diag(torch.tensor([3.0, 2.0, 0.5], device=device))
    expect.equal(student.matrix_rank(D, tol=1.0), 2, what="matrix_rank(diag(3, 2, 0.5), tol=1.0)")
