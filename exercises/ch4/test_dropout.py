"""Visible checks for ch4.dropout: run them with `pytest exercises/ch4`."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch4.dropout"


@check(points=1, clause="p_zero")
def test_p_zero_keeps_everything(student, device, rng):
    """dropout_layer(X, 0) returns X's values unchanged."""
    X = torch.arange(16, dtype=torch.float32, device=device).reshape(2, 8)
    expect.equal(student.dropout_layer(X, 0.0), X, what="dropout_layer(X, 0.0)")


@check(points=1, clause="p_one")
def test_p_one_drops_everything(student, device, rng):
    """dropout_layer(X, 1) returns exact zeros (and no NaN from dividing by 1 - p = 0), for float32 and float64."""
    for dtype in (torch.float32, torch.float64):
        X = torch.arange(16, dtype=dtype, device=device).reshape(2, 8)
        expect.equal(student.dropout_layer(X, 1.0), torch.zeros_like(X), what=f"dropout_layer(X, 1.0) for {dtype}")


@check(points=2, clause="worked_example")
def test_half_dropped_and_doubled(student, device, rng):
    """With p = 0.5 each entry is 0 or doubled, and about half of a large tensor survives."""
    X = torch.arange(1, 17, dtype=torch.float32, device=device).reshape(2, 8)
    out = expect.tensor(student.dropout_layer(X, 0.5, _seed=0), "dropout_layer(X, 0.5)")
    expect.shape(out, (2, 8), "dropout_layer(X, 0.5)")
    expect.dtype(out, torch.float32, "dropout_layer(X, 0.5)")
    expect.true(bool(((out == 0) | (out == 2 * X)).all()),
                "dropout_layer(X, 0.5): every entry should be 0 or 2 * x",
                f"X = {X.tolist()}\ngot {out.tolist()}")
    ones = torch.ones(200, 200, device=device)
    big = expect.tensor(student.dropout_layer(ones, 0.5, _seed=1), "dropout_layer(ones, 0.5)")
    kept = float((big != 0).float().mean())
    expect.true(0.47 < kept < 0.53, f"dropout_layer(ones(200, 200), 0.5) kept {kept:.3f} of the "
                "entries, expected about 0.5")
    mean = float(big.mean())
    expect.true(abs(mean - 1.0) < 0.06, f"the mean of dropout_layer(ones(200, 200), 0.5) is {mean:.3f}; "
                "rescaling the survivors by 1 / (1 - p) should keep it near 1")


@check(points=1, clause="value_error")
def test_bad_probability_raises(student, device, rng):
    """A dropout probability outside [0, 1] raises ValueError."""
    X = torch.ones(3, 4, device=device)
    for p in (-0.1, 1.5, 7.0):
        with expect.raises(ValueError, what=f"dropout_layer(X, {p})"):
            student.dropout_layer(X, p)


@check(points=1, clause="mlp_names")
def test_mlp_layer_names(student):
    """DropoutMLP names its layers lin1, lin2, lin3."""
    sd = student.DropoutMLP(12, 5, 32, 16, 0.5, 0.5, _seed=3, _input_shape=(2, 12)).state_dict()
    for name in ("lin1.weight", "lin2.weight", "lin3.weight"):
        expect.true(name in sd, f"DropoutMLP should have a layer named {name.split('.')[0]!r}")


@check(points=2, clause="mlp_training_random")
def test_mlp_shapes_and_modes(student, device, rng):
    """DropoutMLP maps an (8, 3, 4) input to (8, 5) and drops units in training mode (two calls differ)."""
    h = student.DropoutMLP(12, 5, 32, 16, 0.5, 0.5, _seed=3, _input_shape=(2, 12))
    h.to(device)
    X = torch.randn(8, 3, 4, generator=rng).to(device)
    h.train(True)
    expect.shape(h(X, _seed=0), (8, 5), "DropoutMLP output for an input of shape (8, 3, 4)")
    a, b = h(X, _seed=1), h(X, _seed=2)
    expect.true(not bool(torch.equal(a, b)), "two calls in training mode gave the same output: "
                "is dropout applied when self.training is True?")
