"""Visible checks for ch5.custom_layers: run them with `pytest exercises/ch5/test_custom_layers.py`."""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch5.custom_layers"


def _by_shape(h, in_units: int, units: int) -> tuple[str, str]:
    sd = h.state_dict()
    shapes = {k: tuple(v.shape) for k, v in sd.items()}
    weight = [k for k, s in shapes.items() if s == (in_units, units)]
    bias = [k for k, s in shapes.items() if s == (units,)]
    expect.true(len(sd) == 2 and len(weight) == 1 and len(bias) == 1,
                f"MyLinear({in_units}, {units}) should have a ({in_units}, {units}) weight and a "
                f"({units},) bias as parameters", f"state_dict shapes: {shapes}")
    return weight[0], bias[0]


@check(points=2, clause="linear_example")
def test_linear_parameters_of_the_text(student, device, rng):
    """MyLinear(256, 4): a (256, 4) weight, a (4,) bias of zeros, 1028 trainable parameters."""
    h = student.MyLinear(256, 4, _seed=0)
    _, bname = _by_shape(h, 256, 4)
    expect.equal(h.state_dict()[bname], torch.zeros(4), what="the initial bias")
    expect.equal(h.num_params(), 256 * 4 + 4, what="the number of trainable parameters")


@check(points=2, clause="linear_forward_example")
def test_linear_forward_worked_example(student, device, rng):
    """With W = [[1, 2], [3, 4], [5, 6]] and b = [10, 20], MyLinear maps [1, 1, 1] to [19, 32]."""
    h = student.MyLinear(3, 2)
    sd = h.state_dict()
    # the parameters as you stored them (their shapes are the check above's business): the weight
    # as (3, 2) or transposed, the bias if it is a parameter (else it stays at its zero start)
    weight = [k for k, v in sd.items() if tuple(v.shape) in ((3, 2), (2, 3))]
    bias = [k for k, v in sd.items() if tuple(v.shape) == (2,)]
    expect.true(len(weight) == 1, "MyLinear(3, 2) should have a (3, 2) weight parameter",
                f"state_dict shapes: { {k: tuple(v.shape) for k, v in sd.items()} }")
    h.to(device)
    W = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], device=device)
    b = torch.tensor([10.0, 20.0], device=device) if bias else torch.zeros(2, device=device)
    state = {weight[0]: W if tuple(sd[weight[0]].shape) == (3, 2) else W.T.contiguous()}
    if bias:
        state[bias[0]] = b
    h.load_state_dict(state)
    X = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, -1.0]], device=device)
    expect.close(h(X), X @ W + b, what="MyLinear(3, 2) forward (X @ W + b)")


@check(points=1, clause="flatten_example")
def test_flatten_shapes_of_the_text(student, device, rng):
    """MyFlatten(1) turns (2, 3, 4, 5) into (2, 60) and MyFlatten(2) into (2, 3, 20)."""
    X = torch.arange(120.0, device=device).reshape(2, 3, 4, 5)
    expect.equal(student.MyFlatten(1)(X), X.reshape(2, 60), what="MyFlatten(1) on a (2, 3, 4, 5) tensor")
    expect.equal(student.MyFlatten(2)(X), X.reshape(2, 3, 20), what="MyFlatten(2) on a (2, 3, 4, 5) tensor")
    expect.equal(student.MyFlatten()(X), X.reshape(2, 60), what="MyFlatten() on a (2, 3, 4, 5) tensor")


@check(points=2, clause="flatten_channels_last_example")
def test_flatten_channels_last(student, device, rng):
    """MyFlatten works on a permuted (non-contiguous) batch, where view() would fail."""
    X = torch.arange(2 * 5 * 6 * 3, dtype=torch.float32, device=device).reshape(2, 5, 6, 3).permute(0, 3, 1, 2)
    # Tensors cross to your code contiguous; specs.strided rebuilds X's exact (permuted) layout there.
    got = student.MyFlatten()(specs.strided(X))
    expect.equal(got, X.reshape(2, 90), what="MyFlatten() on a permuted (2, 3, 5, 6) batch")
