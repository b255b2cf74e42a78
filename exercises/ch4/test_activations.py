"""Visible checks for ch4.activations: run them with `pytest exercises/ch4`."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch4.activations"

# The inputs of the worked example's table, and the values every function must give there.
TABLE_X = [-1000.0, 0.0, 1000.0]
TABLE = {
    "sigmoid": [0.0, 0.5, 1.0],
    "tanh": [-1.0, 0.0, 1.0],
    "swish": [0.0, 0.0, 1000.0],
    "sigmoid_grad": [0.0, 0.25, 0.0],
    "tanh_grad": [0.0, 1.0, 0.0],
}


@check(points=2)
def test_worked_example_table(student, device, rng):
    """The table of the text: every function at x = -1000, 0 and 1000 (finite, no NaN)."""
    x = torch.tensor(TABLE_X, device=device)
    for name, values in TABLE.items():
        expect.close(student.call(name, x), torch.tensor(values, device=device),
                     what=f"{name}(tensor([-1000., 0., 1000.]))")


@check(points=2)
def test_match_builtins_on_the_plot_grid(student, device, rng):
    """On arange(-8, 8, 0.1) sigmoid, tanh and swish agree with PyTorch's built-ins."""
    x = torch.arange(-8.0, 8.0, 0.1, device=device)
    expect.close(student.sigmoid(x), torch.sigmoid(x), what="sigmoid on arange(-8, 8, 0.1)")
    expect.close(student.tanh(x), torch.tanh(x), what="tanh on arange(-8, 8, 0.1)")
    expect.close(student.swish(x), torch.nn.functional.silu(x), what="swish on arange(-8, 8, 0.1)")


@check(points=2)
def test_gradients_match_autograd(student, device, rng):
    """sigmoid_grad and tanh_grad agree with what autograd computes for the built-ins."""
    x = torch.arange(-8.0, 8.0, 0.1, device=device)
    for name, fn in (("sigmoid_grad", torch.sigmoid), ("tanh_grad", torch.tanh)):
        xg = x.clone().requires_grad_(True)
        fn(xg).sum().backward()
        expect.close(student.call(name, x), xg.grad, what=f"{name} on arange(-8, 8, 0.1)")


@check(points=1)
def test_leaky_relu_examples(student, device, rng):
    """leaky_relu(-2) is -0.02 with the default slope, and positive inputs pass unchanged."""
    x = torch.tensor([-2.0, 0.0, 3.0], device=device)
    expect.close(student.leaky_relu(x), torch.tensor([-0.02, 0.0, 3.0], device=device), what="leaky_relu(x)")
    expect.close(student.leaky_relu(x, 0.5), torch.tensor([-1.0, 0.0, 3.0], device=device),
                 what="leaky_relu(x, 0.5)")


@check(points=2)
def test_prelu_examples(student, device, rng):
    """prelu(-3, 0.2) is -0.6 and prelu(-3, 2) is -6 (not max(2 * -3, -3) = -3)."""
    x = torch.tensor([-3.0, 0.0, 4.0], device=device)
    expect.close(student.prelu(x, 0.2), torch.tensor([-0.6, 0.0, 4.0], device=device), what="prelu(x, 0.2)")
    expect.close(student.prelu(x, 2.0), torch.tensor([-6.0, 0.0, 4.0], device=device), what="prelu(x, 2.0)")


@check(points=1)
def test_keeps_dtype_and_shape(student, device, rng):
    """float64 inputs give float64 results of the same shape."""
    x = torch.randn(2, 3, 4, generator=rng, dtype=torch.float64).to(device)
    for name in ("sigmoid", "tanh", "swish", "leaky_relu", "sigmoid_grad", "tanh_grad"):
        out = expect.tensor(student.call(name, x), f"{name}(x)")
        expect.shape(out, (2, 3, 4), f"{name} of a float64 tensor of shape (2, 3, 4)")
        expect.dtype(out, torch.float64, f"{name} of a float64 tensor")
