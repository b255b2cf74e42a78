"""Visible checks for ch3.linear_concise: run them with `pytest exercises/ch3/test_linear_concise.py`."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch3.linear_concise"


@check(points=2, clause="load_example")
def test_load_array(student, device, rng):
    """load_array((X, y), 4) over 10 examples gives batches of 4, 4 and 2 holding every example once."""
    X = torch.arange(10, dtype=torch.float32, device=device).reshape(10, 1)
    y = 2 * X
    batches = student.new_object("load_array", (X, y), 4).items(_seed=0)
    expect.equal([len(b[0]) for b in batches], [4, 4, 2], what="batch sizes")
    expect.equal(sorted(int(v) for b in batches for v in b[0].reshape(-1).tolist()), list(range(10)),
                 what="the examples of one epoch")
    for X_b, y_b in batches:
        expect.equal(y_b, 2 * X_b, what="labels next to their examples")


@check(points=2, clause="net_layout")
def test_linear_net(student, device, rng):
    """linear_net(d) is an nn.Sequential holding one Linear(d, 1), reached as net[0]."""
    for d in (2, int(torch.randint(3, 10, (1,), generator=rng))):
        h = student.new("linear_net", d, _seed=0)
        h.to(device)
        X = torch.randn(4, d, generator=rng).to(device)
        out = h(X)   # lazy modules get their parameters here
        mods = h.modules()
        expect.true(mods[0]["type"] == "Sequential",
                    f"linear_net returned a {mods[0]['type']}, expected nn.Sequential")
        linears = [(m["type"], m.get("in_features"), m.get("out_features")) for m in mods[1:]]
        expect.true(linears == [("Linear", d, 1)] or linears == [("LazyLinear", d, 1)],
                    f"linear_net({d}) should hold one Linear({d}, 1), found {linears}")
        sd = h.state_dict()
        expect.true(set(sd) == {"0.weight", "0.bias"}, f"linear_net's parameters should be net[0].weight and "
                    f"net[0].bias, found {sorted(sd)}")
        expect.shape(sd["0.weight"], (1, d), "net[0].weight")
        expect.shape(sd["0.bias"], (1,), "net[0].bias")
        expect.close(out, X @ sd["0.weight"].T + sd["0.bias"], what=f"linear_net({d})(X)")


@check(points=3, clause="train_example")
def test_train_concise(student, device, rng):
    """On w = (2, -3.4), b = 4.2 data, both losses bring w and b close; epoch_loss has one Python float per epoch."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(100, 2, generator=gen)
    y = X @ torch.tensor([[2.0], [-3.4]]) + 4.2 + 0.01 * torch.randn(100, 1, generator=gen)
    for loss, lr in (("mse", 0.15), ("huber", 0.5)):
        result = student.train_concise(X, y, loss=loss, lr=lr, _seed=0)
        expect.close(result["w"], torch.tensor([[2.0, -3.4]]), atol=0.05, rtol=0.0, what=f"trained w ({loss})")
        expect.close(result["b"], torch.tensor([4.2]), atol=0.05, rtol=0.0, what=f"trained b ({loss})")
        losses = result["epoch_loss"]
        expect.true(type(losses) is list and len(losses) == 3 and all(type(v) is float for v in losses),
                    f"epoch_loss ({loss}) must be a list of 3 Python floats for 3 epochs, got {losses!r}"[:300])


@check(points=1, clause="train_value_error")
def test_train_concise_unknown_loss(student, device, rng):
    """An unknown loss name ('l1', or 'MSE' in capitals) raises ValueError."""
    X = torch.randn(20, 2, generator=rng).to(device)
    y = torch.randn(20, 1, generator=rng).to(device)
    for name in ("l1", "MSE"):
        with expect.raises(ValueError, what=f"train_concise(..., loss={name!r})"):
            student.train_concise(X, y, loss=name, num_epochs=1)
