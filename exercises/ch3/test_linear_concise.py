"""Visible checks for ch3.linear_concise: run them with `pytest exercises/ch3/test_linear_concise.py`."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch3.linear_concise"


@check(points=2)
def test_load_array(student, device, rng):
    """load_array((X, y), 4) gives batches of 4, 4 and 2; unshuffled with is_train=False."""
    X = torch.arange(10, dtype=torch.float32, device=device).reshape(10, 1)
    y = 2 * X
    loader = student.new_object("load_array", (X, y), 4)
    expect.equal(loader.type_name, "DataLoader", what="the type load_array returns")
    batches = loader.items(_seed=0)
    expect.equal([len(b[0]) for b in batches], [4, 4, 2], what="batch sizes")
    expect.equal(sorted(int(v) for b in batches for v in b[0].reshape(-1).tolist()), list(range(10)),
                 what="the examples of one epoch")
    in_order = student.new_object("load_array", (X, y), 4, is_train=False).items()
    expect.equal(in_order[0][0], X[:4], what="the first batch of load_array(..., is_train=False)")


@check(points=2)
def test_linear_net(student, device, rng):
    """linear_net(2) holds one Linear(2, 1) with a small random weight and a zero bias."""
    h = student.new("linear_net", 2, _seed=0)
    h(torch.zeros(1, 2))
    sd = h.state_dict()
    expect.true("0.weight" in sd and "0.bias" in sd, "linear_net should be nn.Sequential(nn.Linear(d, 1))")
    expect.shape(sd["0.weight"], (1, 2), "net[0].weight")
    expect.equal(sd["0.bias"], torch.zeros(1), what="net[0].bias")
    expect.true(bool((sd["0.weight"].abs() < 0.05).all()), "the weight should be drawn from N(0, 0.01**2)")


@check(points=3)
def test_train_concise(student, device, rng):
    """On w = (2, -3.4), b = 4.2 data, both losses bring w and b close; epoch_loss has one float per epoch."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(100, 2, generator=gen)
    y = X @ torch.tensor([[2.0], [-3.4]]) + 4.2 + 0.01 * torch.randn(100, 1, generator=gen)
    for loss, lr in (("mse", 0.15), ("huber", 0.5)):
        result = student.train_concise(X, y, loss=loss, lr=lr, _seed=0)
        expect.close(result["w"], torch.tensor([[2.0, -3.4]]), atol=0.05, rtol=0.0, what=f"trained w ({loss})")
        expect.close(result["b"], torch.tensor([4.2]), atol=0.05, rtol=0.0, what=f"trained b ({loss})")
        expect.equal(len(result["epoch_loss"]), 3, what=f"len(epoch_loss) for 3 epochs ({loss})")
    with expect.raises(ValueError, what="train_concise(..., loss='l1')"):
        student.train_concise(X, y, loss="l1")
