"""Visible checks for ch4.mlp_scratch: run them with `pytest exercises/ch4`."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch4.mlp_scratch"


@check(points=1, clause="relu_example")
def test_relu_example(student, device, rng):
    """relu keeps positive entries and turns negative ones into 0."""
    X = torch.tensor([[-2.0, -0.5, 0.0], [0.5, 3.0, -7.0]], device=device)
    expected = torch.tensor([[0.0, 0.0, 0.0], [0.5, 3.0, 0.0]], device=device)
    expect.close(student.relu(X), expected, what="relu(X)")


@check(points=1, clause="relu_input")
def test_relu_leaves_input_alone(student, device, rng):
    """relu returns a new tensor: its input still holds the negative entries afterwards."""
    for X in (torch.tensor([-1.0, 2.0, -3.0], device=device), torch.randn(9, 5, generator=rng).to(device)):
        _, records = student.call_recorded("relu", X)
        expect.equal(records["args_after"][0], X, what=f"X of shape {tuple(X.shape)} after relu(X)")


@check(points=2, clause="mlp_parameters")
def test_mlp_parameters(student, device, rng):
    """MLPScratch(784, 256, 10) holds W1 (784, 256), b1 (256,), W2 (256, 10), b2 (10,): 203530 float32
    parameters and nothing else; so do other sizes, in the order inputs, hidden units, outputs."""
    d, h, q = (int(v) for v in torch.randperm(30, generator=rng)[:3] + 2)   # three distinct sizes
    for d, h, q in ((784, 256, 10), (d, h, q)):
        net = student.MLPScratch(d, h, q, _seed=0)
        sd = net.state_dict()
        for name, shape in (("W1", (d, h)), ("b1", (h,)), ("W2", (h, q)), ("b2", (q,))):
            expect.true(name in sd, f"MLPScratch should have a parameter named {name!r}, found {sorted(sd)}")
            expect.shape(sd[name], shape, f"MLPScratch({d}, {h}, {q}).{name}")
            expect.dtype(sd[name], torch.float32, f"MLPScratch({d}, {h}, {q}).{name}")
        expected = d * h + h + h * q + q
        expect.true(net.num_params() == expected, f"MLPScratch({d}, {h}, {q}) has {net.num_params()} trainable "
                    f"parameters, expected {expected}: are W1, b1, W2, b2 nn.Parameters (and nothing else)?")


def _example(device):
    W1 = torch.tensor([[1.0, 0.0], [2.0, 1.0]], device=device)
    b1 = torch.tensor([1.0, -1.0], device=device)
    W2 = torch.tensor([[1.0], [2.0]], device=device)
    b2 = torch.tensor([0.5], device=device)
    return W1, b1, W2, b2


@check(points=1, clause="collapse_example")
def test_worked_example_collapse(student, device, rng):
    """The text's example folds into W = [[1], [4]], b = [-0.5]."""
    expect.close(student.collapse_linear(*_example(device)),
                 (torch.tensor([[1.0], [4.0]], device=device), torch.tensor([-0.5], device=device)),
                 what="collapse_linear of the worked example")


@check(points=1, clause="mlp_example_forward")
def test_worked_example_network(student, device, rng):
    """With the example's weights the network answers 0.5 at x = (1, -2) (ReLU) and 4.5 at x = (1, 1)."""
    W1, b1, W2, b2 = _example(device)
    net = student.MLPScratch(2, 2, 1, _seed=0)
    net.to(device)
    net.load_state_dict({"W1": W1, "b1": b1, "W2": W2, "b2": b2})
    expect.close(net(torch.tensor([[1.0, -2.0], [1.0, 1.0]], device=device)),
                 torch.tensor([[0.5], [4.5]], device=device), what="MLPScratch with the example's weights")


@check(points=1, clause="mlp_default_init")
def test_default_sigma(student, device, rng):
    """With the default sigma = 0.01 both weights have a standard deviation of about 0.01 and the biases are zero."""
    net = student.MLPScratch(100, 50, 20, _seed=1)
    sd = net.state_dict()
    for name in ("W1", "W2"):
        std = float(sd[name].std())
        expect.true(0.008 < std < 0.012, f"{name} has standard deviation {std:.4f}, expected about 0.01")
    expect.true(bool((sd["b1"] == 0).all()) and bool((sd["b2"] == 0).all()), "the biases should start at zero")
