"""Visible checks for ch6.pooling: the worked example, stride and padding, and global average pooling."""

import torch

from grader.checks import check, expect

EXERCISE = "ch6.pooling"


def _example(device: torch.device) -> torch.Tensor:
    return torch.tensor([[3.0, 1.0, 2.0, 9.0], [6.0, 0.0, 5.0, 1.0],
                         [1.0, 2.0, 4.0, 0.0], [3.0, 0.0, 1.0, 2.0]], device=device)


@check(points=2, clause="example")
def test_worked_example(student, device):
    """2x2 pooling of the 4x4 example: max [[6, 9], [3, 4]], avg [[2.5, 4.25], [1.5, 1.75]], also in (N, C, h, w)."""
    X = _example(device)
    expect.close(student.pool2d(X, 2), torch.tensor([[6.0, 9.0], [3.0, 4.0]], device=device),
                 what="pool2d(X, 2) (max)")
    expect.close(student.pool2d(X, 2, mode="avg"), torch.tensor([[2.5, 4.25], [1.5, 1.75]], device=device),
                 what="pool2d(X, 2, mode='avg')")
    batch = torch.stack([X, -X, 2 * X]).reshape(1, 3, 4, 4)
    expected = torch.tensor([[6.0, 9.0], [3.0, 4.0]], device=device)
    expected = torch.stack([expected, -torch.tensor([[0.0, 1.0], [0.0, 0.0]], device=device), 2 * expected])
    expect.close(student.pool2d(batch, 2), expected.reshape(1, 3, 2, 2),
                 what="pool2d of a (1, 3, 4, 4) batch (each channel pooled on its own)")


@check(points=2, clause="padding_example")
def test_padding_keeps_size(student, device):
    """A 3x3 window with stride 1 and padding 1 keeps the size; avg divides by 9 including padded zeros."""
    X = _example(device)
    expect.close(student.pool2d(X, 3, stride=1, padding=1),
                 torch.tensor([[6.0, 6.0, 9.0, 9.0], [6.0, 6.0, 9.0, 9.0],
                               [6.0, 6.0, 5.0, 5.0], [3.0, 4.0, 4.0, 4.0]], device=device),
                 what="pool2d(X, 3, stride=1, padding=1)")
    sums = torch.tensor([[10.0, 17.0, 18.0, 17.0], [13.0, 24.0, 24.0, 21.0],
                         [12.0, 22.0, 15.0, 13.0], [6.0, 11.0, 9.0, 7.0]], device=device)
    expect.close(student.pool2d(X, 3, mode="avg", stride=1, padding=1), sums / 9,
                 what="pool2d(X, 3, mode='avg', stride=1, padding=1)")


@check(points=2, clause="minus_inf_example")
def test_max_padding_is_minus_infinity(student, device):
    """Max-pooling an all-negative input with padding never returns a padded 0."""
    X = -1.0 - _example(device)
    expect.close(student.pool2d(X, 3, stride=2, padding=1), torch.full((2, 2), -1.0, device=device),
                 what="pool2d(-1 - X, 3, stride=2, padding=1)")
    expect.close(student.pool2d(-torch.ones(3, 3, device=device), 2, stride=1, padding=1),
                 -torch.ones(4, 4, device=device), what="pool2d(-ones(3, 3), 2, stride=1, padding=1)")


@check(points=2, clause="stride_example")
def test_stride_defaults(student, device):
    """The stride defaults to the pool size: 28 -> 14 -> 7 -> 3 -> 1 (a fifth round has no window: ValueError)."""
    X = torch.randn(2, 3, 28, 28, device=device)
    for size in (14, 7, 3, 1):
        X = student.pool2d(X, 2)
        expect.shape(X, (2, 3, size, size), what="pool2d(X, 2) in the chain from 28 x 28")
    expect.shape(student.pool2d(torch.randn(1, 2, 54, 54, device=device), 3, stride=2), (1, 2, 26, 26),
                 what="pool2d of a 54 x 54 map, 3x3 window, stride 2")


@check(points=2, clause="global_example")
def test_global_avg_pool(student, device):
    """global_avg_pool turns (N, C, h, w) into the (N, C) channel means."""
    X = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32, device=device).reshape(2, 3, 4, 5)
    expected = 9.5 + 20.0 * torch.arange(6.0, device=device).reshape(2, 3)
    expect.close(student.global_avg_pool(X), expected, what="global_avg_pool of a (2, 3, 4, 5) arange")
