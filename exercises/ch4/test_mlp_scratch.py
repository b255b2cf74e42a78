"""Visible checks for ch4.mlp_scratch: run them with `pytest exercises/ch4`."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch4.mlp_scratch"


@check(points=1)
def test_relu_example(student, device, rng):
    """relu keeps positive entries and turns negative ones into 0."""
    X = torch.tensor([[-2.0, -0.5, 0.0], [0.5, 3.0, -7.0]], device=device)
    expected = torch.tensor([[0.0, 0.0, 0.0], [0.5, 3.0, 0.0]], device=device)
    expect.close(student.relu(X), expected, what="relu(X)")


@check(points=1)
def test_relu_leaves_input_alone(student, device, rng):
    """relu returns a new tensor: its input still holds the negative entries afterwards."""
    X = torch.tensor([-1.0, 2.0, -3.0], device=device)
    _, records = student.call_recorded("relu", X)
    expect.equal(records["args_after"][0], torch.tensor([-1.0, 2.0, -3.0], device=device),
                 what="X after relu(X)")


@check(points=2)
def test_mlp_for_fashion_mnist(student, device, rng):
    """MLPScratch(784, 256, 10) has 203530 parameters and maps (2, 1, 28, 28) images to (2, 10) scores."""
    net = student.MLPScratch(784, 256, 10, _seed=0)
    net.to(device)
    sd = net.state_dict()
    for name, shape in (("W1", (784, 256)), ("b1", (256,)), ("W2", (256, 10)), ("b2", (10,))):
        expect.true(name in sd, f"MLPScratch should have a parameter named {name!r}")
        expect.shape(sd[name], shape, f"MLPScratch(784, 256, 10).{name}")
    expect.true(net.num_params() == 203530,
                f"MLPScratch(784, 256, 10) has {net.num_params()} parameters, expected 203530")
    out = expect.tensor(net(torch.rand(2, 1, 28, 28, generator=rng).to(device)), "output")
    expect.shape(out, (2, 10), "MLPScratch(784, 256, 10) on images of shape (2, 1, 28, 28)")


def _example(device):
    W1 = torch.tensor([[1.0, 0.0], [2.0, 1.0]], device=device)
    b1 = torch.tensor([1.0, -1.0], device=device)
    W2 = torch.tensor([[1.0], [2.0]], device=device)
    b2 = torch.tensor([0.5], device=device)
    return W1, b1, W2, b2


@check(points=1)
def test_worked_example_collapse(student, device, rng):
    """The text's example folds into W = [[1], [4]], b = [-0.5]."""
    expect.close(student.collapse_linear(*_example(device)),
                 (torch.tensor([[1.0], [4.0]], device=device), torch.tensor([-0.5], device=device)),
                 what="collapse_linear of the worked example")


@check(points=1)
def test_worked_example_network(student, device, rng):
    """With the example's weights the network answers 0.5 at x = (1, -2) (ReLU) and 4.5 at x = (1, 1)."""
    W1, b1, W2, b2 = _example(device)
    net = student.MLPScratch(2, 2, 1, _seed=0)
    net.to(device)
    net.load_state_dict({"W1": W1, "b1": b1, "W2": W2, "b2": b2})
    expect.close(net(torch.tensor([[1.0, -2.0], [1.0, 1.0]], device=device)),
                 torch.tensor([[0.5], [4.5]], device=device), what="MLPScratch with the example's weights")


@check(points=1)
def test_default_sigma(student, device, rng):
    """With the default sigma = 0.01 the weights are small and the biases zero."""
    net = student.MLPScratch(100, 50, 10, _seed=1)
    sd = net.state_dict()
    std = float(sd["W1"].std())
    expect.true(0.008 < std < 0.012, f"W1 has standard deviation {std:.4f}, expected about 0.01")
    expect.true(bool((sd["b1"] == 0).all()) and bool((sd["b2"] == 0).all()), "the biases should start at zero")
