"""Visible checks for ch6.convolution: worked examples and properties of corr2d, Conv2D and learn_kernel."""

import math

import torch

from grader.checks import check, expect

EXERCISE = "ch6.convolution"


def _edge_image(device: torch.device) -> torch.Tensor:
    """6x8 ones with a dark band in columns 2..5."""
    X = torch.ones((6, 8), device=device)
    X[:, 2:6] = 0
    return X


@check(points=2, clause="corr2d_example")
def test_corr2d_worked_examples(student, device):
    """corr2d gives the worked 3x3 / 2x2 example and the vertical-edge example of the text."""
    X = torch.arange(9.0, device=device).reshape(3, 3)
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]], device=device)
    expect.close(student.corr2d(X, K), torch.tensor([[19.0, 25.0], [37.0, 43.0]], device=device),
                 what="corr2d of the 3x3 example with the 2x2 kernel")
    edge = torch.tensor([[1.0, -1.0]], device=device)
    row = torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.0], device=device)
    expect.close(student.corr2d(_edge_image(device), edge), row.repeat(6, 1),
                 what="corr2d of the 6x8 edge image with [[1, -1]]")
    expect.close(student.corr2d(_edge_image(device).t(), edge), torch.zeros(8, 5, device=device),
                 what="corr2d of the transposed edge image with [[1, -1]]")


@check(points=2, clause="corr2d_tall_wide_example")
def test_corr2d_non_square_kernels(student, device):
    """corr2d handles tall and wide kernels and a kernel as large as the input."""
    X = torch.arange(12.0, device=device).reshape(3, 4)
    tall = torch.tensor([[1.0], [-1.0]], device=device)          # row i minus row i+1: always -4
    expect.close(student.corr2d(X, tall), torch.full((2, 4), -4.0, device=device),
                 what="corr2d of a 3x4 input with a 2x1 kernel")
    wide = torch.ones(1, 3, device=device)                       # sums of three neighbours in a row
    expected = torch.tensor([[3.0, 6.0], [15.0, 18.0], [27.0, 30.0]], device=device)
    expect.close(student.corr2d(X, wide), expected, what="corr2d of a 3x4 input with a 1x3 kernel")
    K = torch.linspace(-1.0, 1.0, 12, device=device).reshape(3, 4)
    expect.close(student.corr2d(X, K), (X * K).sum().reshape(1, 1),
                 what="corr2d with a kernel of the same shape as the input (1x1 output)")


@check(points=1, clause="corr2d_error_example")
def test_corr2d_kernel_too_large(student, device):
    """corr2d raises ValueError when the kernel is taller or wider than the input."""
    X = torch.ones(3, 5, device=device)
    with expect.raises(ValueError, what="corr2d of a 3x5 input with a 4x2 kernel"):
        student.corr2d(X, torch.ones(4, 2, device=device))
    with expect.raises(ValueError, what="corr2d of a 3x5 input with a 1x6 kernel"):
        student.corr2d(X, torch.ones(1, 6, device=device))


@check(points=2, clause="conv2d_example")
def test_conv2d_layer(student, device):
    """Conv2D has a weight of shape kernel_size in [0, 1), a zero bias of shape (1,), and computes corr2d(x, weight) + bias."""
    layer = student.Conv2D((2, 3), _seed=0)
    state = layer.state_dict()
    expect.true(type(state) is dict and set(state) == {"weight", "bias"},
                f"Conv2D's parameters must be exactly 'weight' and 'bias', got {sorted(state) if type(state) is dict else state!r}")
    expect.shape(state["weight"], (2, 3), what="Conv2D((2, 3)).weight")
    w = state["weight"]
    expect.true(bool(((w >= 0) & (w < 1)).all()) and bool((w != w.flatten()[0]).any()),
                "Conv2D's weight must start random, uniform on [0, 1) (torch.rand)")
    expect.equal(state["bias"], torch.zeros(1), what="Conv2D's initial bias")
    layer.to(device)
    X = torch.arange(20.0, device=device).reshape(4, 5)
    weight = torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]], device=device)
    layer.load_state_dict({"weight": weight, "bias": torch.tensor([0.25], device=device)})
    i = torch.arange(3.0, device=device).reshape(3, 1)
    j = torch.arange(3.0, device=device).reshape(1, 3)
    # By hand: X[i, j] = 5i + j, so row i contributes -2 and row i+1 contributes 7.5i + 1.5j + 9.
    expect.close(layer(X), 7.25 + 7.5 * i + 1.5 * j,
                 what="Conv2D forward (corr2d(x, weight) + bias) of a 4x5 input with a 2x3 kernel")


@check(points=2, clause="learn_example")
def test_learn_kernel_edge_detector(student, device):
    """learn_kernel recovers the edge detector [[1, -1]] from the edge image in 10 steps."""
    X = _edge_image(device)
    Y = torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.0], device=device).repeat(6, 1)
    result = student.learn_kernel(X, Y, (1, 2), _seed=0)
    expect.true(type(result) in (tuple, list) and len(result) == 2,
                "learn_kernel must return a pair (kernel, losses)")
    kernel, losses = result
    expect.shape(kernel, (1, 2), what="the learned kernel")
    expect.true(type(losses) is list and len(losses) == 10 and all(type(v) is float for v in losses),
                "losses must be a list of 10 Python floats (one per iteration)")
    expect.true(all(math.isfinite(v) for v in losses), f"losses contain non-finite values: {losses}")
    expect.true(all(b < a for a, b in zip(losses, losses[1:])),
                f"the loss should fall at every iteration, got {[round(v, 3) for v in losses]}")
    expect.close(kernel, torch.tensor([[1.0, -1.0]], device=device), atol=0.2, rtol=0.0,
                 what="the learned kernel (should be close to [[1, -1]])")
