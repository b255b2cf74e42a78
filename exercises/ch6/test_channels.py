"""Visible checks for ch6.channels: the two-channel example, stacked output channels and the 1x1 convolution."""

import torch

from grader.checks import check, expect

EXERCISE = "ch6.channels"


def _example(device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.stack([torch.arange(9.0, device=device).reshape(3, 3),
                     torch.arange(1.0, 10.0, device=device).reshape(3, 3)])
    K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]], device=device)
    return X, K


@check(points=3, clause="multi_in_example")
def test_multi_in_example(student, device):
    """corr2d_multi_in of the two-channel example is [[56, 72], [104, 120]], the sum of the channels' results."""
    X, K = _example(device)
    expect.close(student.corr2d_multi_in(X, K), torch.tensor([[56.0, 72.0], [104.0, 120.0]], device=device),
                 what="corr2d_multi_in of the two-channel example")
    expect.close(student.corr2d_multi_in(X[1:], K[1:]), torch.tensor([[37.0, 47.0], [67.0, 77.0]], device=device),
                 what="corr2d_multi_in of channel 1 alone")


@check(points=3, clause="multi_in_out_example")
def test_multi_in_out_stacks_channels(student, device):
    """corr2d_multi_in_out with kernels K, K + 1, K + 2 gives three output channels, one per kernel."""
    X, K = _example(device)
    first = torch.tensor([[56.0, 72.0], [104.0, 120.0]], device=device)
    # K + 1 adds the sums of each 2x2 window over both channels (channel 1 is channel 0 plus one).
    window_sums = torch.tensor([[8.0 + 12.0, 12.0 + 16.0], [20.0 + 24.0, 24.0 + 28.0]], device=device)
    expected = torch.stack([first, first + window_sums, first + 2 * window_sums])
    got = student.corr2d_multi_in_out(X, torch.stack([K, K + 1, K + 2]))
    expect.close(got, expected, what="corr2d_multi_in_out(X, stack([K, K + 1, K + 2]))")


@check(points=2, clause="1x1_example")
def test_1x1_mixes_channels(student, device):
    """corr2d_1x1 with weights [[1, 1, 1], [1, -1, 0]] gives the channel sum and the difference of channels 0 and 1."""
    X = torch.arange(3 * 2 * 4, dtype=torch.float32, device=device).reshape(3, 2, 4)
    K = torch.tensor([[1.0, 1.0, 1.0], [1.0, -1.0, 0.0]], device=device).reshape(2, 3, 1, 1)
    expected = torch.stack([X.sum(dim=0), X[0] - X[1]])
    expect.close(student.corr2d_1x1(X, K), expected, what="corr2d_1x1 of a (3, 2, 4) input with 2 kernels")


@check(points=2, clause="1x1_agrees_example")
def test_1x1_agrees_with_general(student, device):
    """corr2d_1x1 and corr2d_multi_in_out agree on 1x1 kernels."""
    X = torch.linspace(-1.0, 1.0, 4 * 3 * 5, device=device).reshape(4, 3, 5)
    K = torch.linspace(0.5, -0.5, 6 * 4, device=device).reshape(6, 4, 1, 1)
    got = student.corr2d_1x1(X, K)
    expect.shape(got, (6, 3, 5), what="corr2d_1x1 of a (4, 3, 5) input with (6, 4, 1, 1) kernels")
    expect.close(got, student.corr2d_multi_in_out(X, K), what="corr2d_1x1 compared with corr2d_multi_in_out")
