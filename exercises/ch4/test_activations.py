"""Visible checks for ch4.activations: run them with `pytest exercises/ch4`.

Each check is about one function, so a slip in one function costs that function's check only.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch4.activations"

# The inputs of the worked example's table (-1000, 0, 1000), past exp's overflow in float32
# (88.7) and in float64 (709.8), and tiny values where cancellation hurts.
EXTREMES = [-1000.0, -710.0, -500.0, -100.0, -89.0, -88.0, -45.0, -20.0, -3.0, -1e-3, -1e-7, -0.0,
            0.0, 1e-7, 1e-3, 3.0, 20.0, 45.0, 88.0, 89.0, 100.0, 500.0, 710.0, 1000.0]

# The values every function must give, computed here in float64 by PyTorch's own functions.
EXPECTED = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "swish": torch.nn.functional.silu,
    "sigmoid_grad": lambda x: torch.sigmoid(x) * torch.sigmoid(-x),
    "tanh_grad": lambda x: 1 - torch.tanh(x) ** 2,
}


def _expect_extremes(student, name: str, device) -> None:
    x = torch.tensor(EXTREMES, device=device)
    expect.close(student.call(name, x), EXPECTED[name](x.double()).float(),
                 what=f"{name} on inputs from -1000 to 1000 (the table's -1000, 0 and 1000, and values past "
                      "the overflow limit of exp)")


@check(points=2, clause="sigmoid_extremes")
def test_sigmoid_table(student, device):
    """sigmoid is 0, 0.5 and 1 at -1000, 0 and 1000, and finite and right in between (no inf / inf)."""
    _expect_extremes(student, "sigmoid", device)


@check(points=2, clause="tanh_extremes")
def test_tanh_table(student, device):
    """tanh is -1, 0 and 1 at -1000, 0 and 1000, finite and right in between, and accurate near 0."""
    _expect_extremes(student, "tanh", device)


@check(points=1, clause="swish_extremes")
def test_swish_table(student, device):
    """swish is -0, 0 and 1000 at -1000, 0 and 1000, and finite and right in between."""
    _expect_extremes(student, "swish", device)


@check(points=2, clause="sigmoid_grad_extremes")
def test_sigmoid_grad_table(student, device):
    """sigmoid_grad is 0, 0.25 and 0 at -1000, 0 and 1000, and finite and right in between."""
    _expect_extremes(student, "sigmoid_grad", device)


@check(points=2, clause="tanh_grad_extremes")
def test_tanh_grad_table(student, device):
    """tanh_grad is 0, 1 and 0 at -1000, 0 and 1000, and finite and right in between."""
    _expect_extremes(student, "tanh_grad", device)


@check(points=1, clause="leaky_example")
def test_leaky_relu_examples(student, device):
    """leaky_relu(-2) is -0.02 with the default slope, and positive inputs pass unchanged."""
    x = torch.tensor([-2.0, 0.0, 3.0], device=device)
    expect.close(student.leaky_relu(x), torch.tensor([-0.02, 0.0, 3.0], device=device), what="leaky_relu(x)")


@check(points=2, clause="prelu_example")
def test_prelu_examples(student, device):
    """prelu(-3, 0.2) is -0.6 and prelu(-3, 2) is -6 (not max(2 * -3, -3) = -3)."""
    x = torch.tensor([-3.0, 0.0, 4.0], device=device)
    expect.close(student.prelu(x, 0.2), torch.tensor([-0.6, 0.0, 4.0], device=device), what="prelu(x, 0.2)")
    expect.close(student.prelu(x, 2.0), torch.tensor([-6.0, 0.0, 4.0], device=device), what="prelu(x, 2.0)")
