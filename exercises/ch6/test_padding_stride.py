"""Visible checks for ch6.padding_stride: the worked sizes and examples of the text."""

import torch

from grader.checks import check, expect

EXERCISE = "ch6.padding_stride"


@check(points=2, clause="size_examples")
def test_conv_output_size_worked_examples(student, device):
    """conv_output_size gives the sizes of the text: 32 -> 28, same padding, AlexNet and the MNIST net."""
    cases = [((32, 5), 28), ((28, 3, 1), 28), ((224, 11, 1, 4), 54), ((54, 3, 0, 2), 26),
             ((26, 5, 2), 26), ((26, 3, 0, 2), 12), ((12, 3, 0, 2), 5), ((28, 3), 26), ((26, 3), 24),
             ((24, 2, 0, 2), 12), ((8, 3, 1, 2), 4), ((7, 7), 1)]
    for args, expected in cases:
        got = student.conv_output_size(*args)
        expect.true(type(got) is int and got == expected,
                    f"conv_output_size{args} returned {got!r}, expected {expected}")


@check(points=1, clause="size_errors")
def test_conv_output_size_errors(student, device):
    """conv_output_size raises ValueError for a kernel that does not fit, stride < 1 or padding < 0."""
    for args in ((5, 6), (4, 7, 1), (10, 3, 0, 0), (10, 3, 0, -2), (10, 3, -1, 1)):
        with expect.raises(ValueError, what=f"conv_output_size{args}"):
            student.conv_output_size(*args)


@check(points=2, clause="corr1d_example")
def test_corr1d_example(student, device):
    """corr1d of [1, 0, 2, -1, 1, 2] with [1, 0, -1] is [-1, 1, 1, -3] (four windows, not three)."""
    x = torch.tensor([1.0, 0.0, 2.0, -1.0, 1.0, 2.0], device=device)
    k = torch.tensor([1.0, 0.0, -1.0], device=device)
    expect.close(student.corr1d(x, k), torch.tensor([-1.0, 1.0, 1.0, -3.0], device=device),
                 what="corr1d([1, 0, 2, -1, 1, 2], [1, 0, -1])")
    expect.close(student.corr1d(x, x), (x * x).sum().reshape(1), what="corr1d(x, x) (one window)")
    with expect.raises(ValueError, what="corr1d with a kernel longer than the signal"):
        student.corr1d(k, x)


@check(points=3, clause="corr2d_example")
def test_corr2d_padding_and_stride(student, device):
    """corr2d_pad_stride on the 3x3 / 2x2 example with padding 1, and with stride (3, 2)."""
    X = torch.arange(9.0, device=device).reshape(3, 3)
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]], device=device)
    expected = torch.tensor([[0.0, 3.0, 8.0, 4.0], [9.0, 19.0, 25.0, 10.0],
                             [21.0, 37.0, 43.0, 16.0], [6.0, 7.0, 8.0, 0.0]], device=device)
    expect.close(student.corr2d_pad_stride(X, K, padding=1), expected,
                 what="corr2d_pad_stride(X, K, padding=1)")
    expect.close(student.corr2d_pad_stride(X, K, padding=1, stride=(3, 2)), expected[::3, ::2],
                 what="corr2d_pad_stride(X, K, padding=1, stride=(3, 2))")
    expect.close(student.corr2d_pad_stride(X, K), expected[1:3, 1:3],
                 what="corr2d_pad_stride(X, K) (no padding: the valid part)")


@check(points=2, clause="corr2d_shapes_example")
def test_corr2d_shapes(student, device):
    """corr2d_pad_stride gives the shapes conv_output_size predicts."""
    X = torch.arange(16.0, device=device).reshape(4, 4)
    expect.close(student.corr2d_pad_stride(X, torch.ones(3, 3, device=device), padding=1, stride=2),
                 torch.tensor([[10.0, 24.0], [51.0, 90.0]], device=device),
                 what="corr2d_pad_stride(4x4, ones(3, 3), padding=1, stride=2)")
    X = torch.ones(8, 8, device=device)
    got = student.corr2d_pad_stride(X, torch.ones(3, 5, device=device), padding=(0, 1), stride=(3, 4))
    expect.shape(got, (2, 2), what="corr2d_pad_stride(8x8, 3x5 kernel, padding=(0, 1), stride=(3, 4))")
