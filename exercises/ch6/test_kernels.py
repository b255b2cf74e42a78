"""Visible checks for ch6.kernels: the kernels of the text, derivatives, the matrix view and true convolution."""

import math

import torch

from grader.checks import check, expect

EXERCISE = "ch6.kernels"


def _corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """The valid cross-correlation, computed here from all windows at once."""
    return (X.unfold(0, K.shape[0], 1).unfold(1, K.shape[1], 1) * K).sum(dim=(-2, -1))


@check(points=2, clause="blur_example")
def test_blur_kernel(student, device):
    """blur_kernel(k) is the k x k float32 tensor of 1 / k**2 (it adds up to 1, so it is not all ones)."""
    expect.close(student.blur_kernel(), torch.full((3, 3), 1.0 / 9.0), what="blur_kernel()")
    expect.close(student.blur_kernel(5), torch.full((5, 5), 1.0 / 25.0), what="blur_kernel(5)")
    expect.close(student.blur_kernel(1), torch.ones(1, 1), what="blur_kernel(1)")


@check(points=2, clause="edge_kernels")
def test_edge_kernels(student, device):
    """edge_kernel is 8 in the centre and -1 around; horizontal_edge_kernel has rows -1, 0, 1."""
    expected = -torch.ones(3, 3)
    expected[1, 1] = 8.0
    expect.close(student.edge_kernel(), expected, what="edge_kernel()")
    expect.close(student.horizontal_edge_kernel(),
                 torch.tensor([[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]),
                 what="horizontal_edge_kernel()")


@check(points=2, clause="difference_example")
def test_difference_kernels(student, device):
    """difference_kernel gives [[1, -1]], [[1, -2, 1]], [[1, -3, 3, -1]] and maps a cubic to the constant -6."""
    for order, row in ((1, [1.0, -1.0]), (2, [1.0, -2.0, 1.0]), (3, [1.0, -3.0, 3.0, -1.0])):
        expect.close(student.difference_kernel(order), torch.tensor([row]), what=f"difference_kernel({order})")
    t = torch.arange(9.0).reshape(1, 9)
    K4 = expect.tensor(student.difference_kernel(4), what="difference_kernel(4)")
    expect.shape(K4, (1, 5), what="difference_kernel(4)")
    expect.close(_corr2d(t ** 4, K4), torch.full((1, 5), float(math.factorial(4))),
                 what="corr2d(t ** 4, difference_kernel(4)) (should be the constant 4! = 24)")


@check(points=2, clause="matmul_example")
def test_corr2d_as_matmul(student, device):
    """corr2d_as_matmul((3, 3), [[0, 1], [2, 3]]) starts with row [0, 1, 0, 2, 3, 0, 0, 0, 0] and reproduces corr2d."""
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]], device=device)
    W = expect.tensor(student.corr2d_as_matmul((3, 3), K), what="corr2d_as_matmul((3, 3), K)")
    expect.shape(W, (4, 9), what="corr2d_as_matmul((3, 3), K)")
    expect.close(W[0], torch.tensor([0.0, 1.0, 0.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0], device=device),
                 what="the first row of corr2d_as_matmul((3, 3), K)")
    X = torch.arange(9.0, device=device).reshape(3, 3)
    expect.close(W @ X.flatten(), torch.tensor([19.0, 25.0, 37.0, 43.0], device=device),
                 what="corr2d_as_matmul((3, 3), K) @ X.flatten()")
    X = torch.linspace(-1.0, 1.0, 20, device=device).reshape(4, 5)
    K = torch.tensor([[1.0, -2.0, 0.5]], device=device)
    W = student.corr2d_as_matmul((4, 5), K)
    expect.close(W @ X.flatten(), _corr2d(X, K).flatten(), what="corr2d_as_matmul((4, 5), 1x3 kernel) @ X.flatten()")


@check(points=2, clause="convolve_example")
def test_convolve2d(student, device):
    """convolve2d flips the kernel: [[5, 11], [23, 29]] for the worked example, the negated result for [[1, -1]]."""
    X = torch.arange(9.0, device=device).reshape(3, 3)
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]], device=device)
    expect.close(student.convolve2d(X, K), torch.tensor([[5.0, 11.0], [23.0, 29.0]], device=device),
                 what="convolve2d(X, [[0, 1], [2, 3]])")
    edge = torch.tensor([[1.0, -1.0]], device=device)
    expect.close(student.convolve2d(X, edge), -_corr2d(X, edge), what="convolve2d(X, [[1, -1]])")
