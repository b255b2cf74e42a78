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


@check(points=2)
def test_linear_parameters_of_the_text(student, device, rng):
    """MyLinear(256, 4): weight (256, 4) with std about 1/16, zero bias, 1028 trainable parameters."""
    h = student.MyLinear(256, 4, _seed=0)
    wname, bname = _by_shape(h, 256, 4)
    sd = h.state_dict()
    expect.equal(sd[bname], torch.zeros(4), what="the initial bias")
    std = float(sd[wname].std())
    expect.true(0.055 < std < 0.07, f"the weight's standard deviation is {std:.4f}, expected about "
                "1 / sqrt(256) = 0.0625")
    expect.equal(h.num_params(), 256 * 4 + 4, what="the number of trainable parameters")


@check(points=2)
def test_linear_forward_worked_example(student, device, rng):
    """With W = [[1, 2], [3, 4], [5, 6]] and b = [10, 20], MyLinear maps [1, 1, 1] to [19, 32]."""
    h = student.MyLinear(3, 2)
    wname, bname = _by_shape(h, 3, 2)
    h.to(device)
    W = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], device=device)
    b = torch.tensor([10.0, 20.0], device=device)
    h.load_state_dict({wname: W, bname: b})
    X = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, -1.0]], device=device)
    expect.close(h(X), torch.tensor([[19.0, 32.0], [6.0, 16.0]], device=device), what="MyLinear(3, 2) forward")
    grads = h.backward(X)["grads"]
    expect.true(grads.get(bname) is not None, "no gradient reached the bias: is it an nn.Parameter?")
    expect.close(grads[bname], torch.tensor([2.0, 2.0], device=device), what="gradient of the bias for output.sum()")


@check(points=1)
def test_flatten_shapes_of_the_text(student, device, rng):
    """MyFlatten(1) turns (2, 3, 4, 5) into (2, 60) and MyFlatten(2) into (2, 3, 20)."""
    X = torch.arange(120.0, device=device).reshape(2, 3, 4, 5)
    expect.equal(student.MyFlatten(1)(X), X.reshape(2, 60), what="MyFlatten(1) on a (2, 3, 4, 5) tensor")
    expect.equal(student.MyFlatten(2)(X), X.reshape(2, 3, 20), what="MyFlatten(2) on a (2, 3, 4, 5) tensor")
    expect.equal(student.MyFlatten()(X), X.reshape(2, 60), what="MyFlatten() on a (2, 3, 4, 5) tensor")


@check(points=2)
def test_flatten_channels_last(student, device, rng):
    """MyFlatten works on a permuted (non-contiguous) batch, where view() would fail."""
    X = torch.arange(2 * 5 * 6 * 3, dtype=torch.float32, device=device).reshape(2, 5, 6, 3).permute(0, 3, 1, 2)
    # Tensors cross to your code contiguous; specs.strided rebuilds X's exact (permuted) layout there.
    got = student.MyFlatten()(specs.strided(X))
    expect.equal(got, X.reshape(2, 90), what="MyFlatten() on a permuted (2, 3, 5, 6) batch")
