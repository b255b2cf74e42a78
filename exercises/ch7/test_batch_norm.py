"""Visible checks for ch7.batch_norm: the worked example and properties you can verify by hand."""

import math

import torch

from grader.checks import check, expect

EXERCISE = "ch7.batch_norm"

X_EXAMPLE = [[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]]


def _defaults(C, device):
    return (torch.ones(C, device=device), torch.zeros(C, device=device),
            torch.zeros(C, device=device), torch.ones(C, device=device))


@check(points=2, clause="example")
def test_worked_example(student, device):
    """The 3 x 2 example: both columns become [-1.2247, 0, 1.2247]; running mean (0.3, 0.6), variance (1.3, 2.5)."""
    X = torch.tensor(X_EXAMPLE, device=device)
    Y, mean, var = student.batch_norm(X, *_defaults(2, device))
    col1 = torch.tensor([-2.0, 0.0, 2.0], device=device) / math.sqrt(8 / 3 + 1e-5)
    col2 = torch.tensor([-4.0, 0.0, 4.0], device=device) / math.sqrt(32 / 3 + 1e-5)
    expect.close(Y, torch.stack([col1, col2], dim=1), what="Y for the worked example (about -1.2247, 0, 1.2247)")
    expect.close(mean, torch.tensor([0.3, 0.6], device=device), what="new running mean (momentum 0.1)")
    expect.close(var, torch.tensor([1.3, 2.5], device=device),
                 what="new running variance (momentum 0.1, unbiased batch variance 4 and 16)")


@check(points=1, clause="momentum_example")
def test_momentum_is_the_weight_of_the_new_batch(student, device):
    """momentum=0.9 weighs the new batch by 0.9 (PyTorch's convention): running mean (2.7, 5.4), variance (3.7, 14.5)."""
    X = torch.tensor(X_EXAMPLE, device=device)
    _, mean, var = student.batch_norm(X, *_defaults(2, device), momentum=0.9)
    expect.close(mean, torch.tensor([2.7, 5.4], device=device), what="running mean with momentum=0.9")
    expect.close(var, torch.tensor([3.7, 14.5], device=device), what="running variance with momentum=0.9")


@check(points=1, clause="channels_example")
def test_channels_of_images(student, device, rng):
    """On (N, C, H, W) input every channel of Y has mean 0 and (biased) variance about 1 in training mode."""
    X = torch.randn(4, 3, 5, 6, generator=rng).to(device) * torch.tensor([0.5, 3.0, 20.0], device=device).view(1, 3, 1, 1) + 7
    Y, _, _ = student.batch_norm(X, *_defaults(3, device))
    expect.shape(Y, (4, 3, 5, 6), what="Y for a (4, 3, 5, 6) input")
    expect.close(Y.mean(dim=(0, 2, 3)), torch.zeros(3, device=device), atol=1e-5, what="per-channel mean of Y")
    expect.close(Y.var(dim=(0, 2, 3), unbiased=False), torch.ones(3, device=device), atol=1e-3,
                 what="per-channel biased variance of Y")


@check(points=1, clause="eval_example")
def test_eval_mode_uses_running_statistics(student, device):
    """In evaluation mode Y = gamma * (X - running_mean) / sqrt(running_var + eps) + beta."""
    X = torch.tensor(X_EXAMPLE, device=device)
    gamma, beta = torch.tensor([2.0, 1.0], device=device), torch.tensor([0.5, -1.0], device=device)
    mean, var = torch.tensor([1.0, 2.0], device=device), torch.tensor([4.0, 16.0], device=device)
    Y, new_mean, new_var = student.batch_norm(X, gamma, beta, mean, var, eps=0.0, training=False)
    expected = torch.tensor([[0.5, -1.0], [2.5, 0.0], [4.5, 1.0]], device=device)
    expect.close(Y, expected, what="Y in evaluation mode")
    expect.close(new_mean, mean, what="running mean returned in evaluation mode")
    expect.close(new_var, var, what="running variance returned in evaluation mode")


@check(points=2, clause="module_example")
def test_module(student, device, rng):
    """BatchNorm(3, 4) normalises in training mode, updates its running mean and uses it in eval mode."""
    h = student.BatchNorm(3, 4)
    h.to(device)
    X = torch.randn(4, 3, 2, 2, generator=rng).to(device) + 10
    Y = expect.tensor(h(X), what="BatchNorm(3, 4) output")
    expect.shape(Y, (4, 3, 2, 2), what="BatchNorm(3, 4) output")
    expect.close(Y.mean(dim=(0, 2, 3)), torch.zeros(3, device=device), atol=1e-4,
                 what="per-channel mean of BatchNorm's output in training mode")
    means = [v for v in h.state_dict().values() if v.is_floating_point() and v.shape == (3,)
             and bool((v - 0.1 * X.mean(dim=(0, 2, 3))).abs().max() < 1e-4)]
    expect.true(len(means) == 1, "after one training step BatchNorm's running mean should be "
                "0.1 * the batch mean (it starts at 0)")
    h.eval()
    running_mean = 0.1 * X.mean(dim=(0, 2, 3))
    running_var = 0.9 + 0.1 * X.var(dim=(0, 2, 3), unbiased=True)
    expected = (X[:1] - running_mean.view(1, 3, 1, 1)) / torch.sqrt(running_var.view(1, 3, 1, 1) + 1e-5)
    expect.close(h(X[:1]), expected, rtol=1e-4, atol=1e-4,
                 what="BatchNorm(3, 4) in eval mode after one training step (uses the running statistics)")
