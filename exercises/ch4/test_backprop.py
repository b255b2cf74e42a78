"""Visible checks for ch4.backprop: run them with `pytest exercises/ch4`."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.checks import check, expect

EXERCISE = "ch4.backprop"

NAMES = ("W1", "b1", "W2", "b2")


def _worked_example(device):
    return (torch.tensor([[1.0]], device=device), torch.tensor([0], device=device),
            torch.tensor([[1.0]], device=device), torch.tensor([0.0], device=device),
            torch.tensor([[3.2, 5.1, -1.7]], device=device), torch.zeros(3, device=device))


def _random_network(rng, device):
    X, y = torch.randn(12, 5, generator=rng), torch.randint(0, 3, (12,), generator=rng)
    params = (torch.randn(5, 7, generator=rng), torch.randn(7, generator=rng),
              torch.randn(7, 3, generator=rng), torch.randn(3, generator=rng))
    return (X.to(device), y.to(device)) + tuple(p.to(device) for p in params)


def _autograd(X, y, W1, b1, W2, b2, lam=0.0):
    leaves = [t.clone().requires_grad_(True) for t in (W1, b1, W2, b2)]
    with torch.enable_grad():
        O = torch.relu(X @ leaves[0] + leaves[1]) @ leaves[2] + leaves[3]
        J = F.cross_entropy(O, y) + lam / 2 * (leaves[0].pow(2).sum() + leaves[2].pow(2).sum())
        J.backward()
    return {"loss": J.detach(), **{k: leaf.grad for k, leaf in zip(NAMES, leaves)}}


@check(points=2)
def test_worked_example(student, device, rng):
    """The text's example: loss 2.0404, dJ/dW2 = (-0.8700, 0.8690, 0.0010), dJ/dW1 = 1.6465."""
    out = student.mlp_grads(*_worked_example(device))
    tol = {"rtol": 0.0, "atol": 1e-4}
    expect.close(out["loss"], torch.tensor(2.0404, device=device), **tol, what="the loss")
    expect.close(out["W2"], torch.tensor([[-0.8700, 0.8690, 0.0010]], device=device), **tol, what="dJ/dW2")
    expect.close(out["b2"], torch.tensor([-0.8700, 0.8690, 0.0010], device=device), **tol, what="dJ/db2")
    expect.close(out["W1"], torch.tensor([[1.6465]], device=device), **tol, what="dJ/dW1")
    expect.close(out["b1"], torch.tensor([1.6465], device=device), **tol, what="dJ/db1")


@check(points=2)
def test_matches_autograd(student, device, rng):
    """On a random network every gradient has its parameter's shape and equals autograd's."""
    args = _random_network(rng, device)
    out = student.mlp_grads(*args)
    expected = _autograd(*args)
    for key in ("loss",) + NAMES:
        expect.close(out[key], expected[key], rtol=1e-5, atol=1e-6, what=f"mlp_grads(...)[{key!r}]")


@check(points=1)
def test_weight_decay_adds_lam_w(student, device, rng):
    """lam adds lam * W to the weight gradients and nothing to the bias gradients."""
    args = _random_network(rng, device)
    plain, decayed = student.mlp_grads(*args), student.mlp_grads(*args, lam=0.5)
    W1, W2 = args[2], args[4]
    expect.close(decayed["W1"] - plain["W1"], 0.5 * W1, rtol=1e-4, atol=1e-5, what="dJ/dW1(lam=0.5) - dJ/dW1(lam=0)")
    expect.close(decayed["W2"] - plain["W2"], 0.5 * W2, rtol=1e-4, atol=1e-5, what="dJ/dW2(lam=0.5) - dJ/dW2(lam=0)")
    expect.close(decayed["b1"], plain["b1"], what="dJ/db1 with and without lam")
    expect.close(decayed["b2"], plain["b2"], what="dJ/db2 with and without lam")
    penalty = 0.25 * (W1.pow(2).sum() + W2.pow(2).sum())
    expect.close(decayed["loss"] - plain["loss"], penalty, rtol=1e-4, atol=1e-4,
                 what="loss(lam=0.5) - loss(lam=0), which should be lam/2 (|W1|^2 + |W2|^2)")


@check(points=1)
def test_logits_of_1000(student, device, rng):
    """A logit of 1000 gives a finite loss and finite gradients (shift by the row maximum)."""
    X, y, W1, b1, W2, b2 = _worked_example(device)
    W2 = torch.tensor([[1000.0, 0.0, -1000.0]], device=device)
    out = student.mlp_grads(X, torch.tensor([1], device=device), W1, b1, W2, b2)
    expect.close(out["loss"], torch.tensor(1000.0, device=device), what="the loss with logits (1000, 0, -1000)")
    expect.close(out["W2"], torch.tensor([[1.0, -1.0, 0.0]], device=device), what="dJ/dW2 with logits (1000, 0, -1000)")
