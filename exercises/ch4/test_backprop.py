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
    with torch.set_grad_enabled(True):  # the check may run with gradients off
        O = torch.relu(X @ leaves[0] + leaves[1]) @ leaves[2] + leaves[3]
        J = F.cross_entropy(O, y) + lam / 2 * (leaves[0].pow(2).sum() + leaves[2].pow(2).sum())
        J.backward()
    return {"loss": J.detach(), **{k: leaf.grad for k, leaf in zip(NAMES, leaves)}}


@check(points=2, clause="example")
def test_worked_example(student, device, rng):
    """The text's example: loss 2.0404, dJ/dW2 = (-0.8700, 0.8690, 0.0010), dJ/dW1 = 1.6465."""
    out = student.mlp_grads(*_worked_example(device))
    tol = {"rtol": 0.0, "atol": 1e-4}
    expect.close(out["loss"], torch.tensor(2.0404, device=device), **tol, what="the loss")
    expect.close(out["W2"], torch.tensor([[-0.8700, 0.8690, 0.0010]], device=device), **tol, what="dJ/dW2")
    expect.close(out["b2"], torch.tensor([-0.8700, 0.8690, 0.0010], device=device), **tol, what="dJ/db2")
    expect.close(out["W1"], torch.tensor([[1.6465]], device=device), **tol, what="dJ/dW1")
    expect.close(out["b1"], torch.tensor([1.6465], device=device), **tol, what="dJ/db1")


@check(points=2, clause="loss")
def test_loss_matches_autograd(student, device, rng):
    """On random networks the loss is the mean cross-entropy of the logits, as autograd computes it."""
    for _ in range(3):
        args = _random_network(rng, device)
        expect.close(student.mlp_grads(*args)["loss"], _autograd(*args)["loss"], rtol=1e-5, atol=1e-6,
                     what="mlp_grads(...)['loss']")


@check(points=2, clause="weight_decay")
def test_weight_decay_adds_lam_w(student, device, rng):
    """lam adds lam/2 (|W1|^2 + |W2|^2) to the loss, lam * W to the weight gradients and nothing to the bias gradients."""
    args = _random_network(rng, device)
    plain = student.mlp_grads(*args)
    W1, W2 = args[2], args[4]
    for lam in (0.1, 0.5, 0.75):
        # differences with lam = 0: whatever else the backward pass does, lam's part is this
        decayed = student.mlp_grads(*args, lam=lam)
        expect.close(decayed["W1"] - plain["W1"], lam * W1, rtol=1e-4, atol=1e-5,
                     what=f"dJ/dW1(lam={lam}) - dJ/dW1(lam=0)")
        expect.close(decayed["W2"] - plain["W2"], lam * W2, rtol=1e-4, atol=1e-5,
                     what=f"dJ/dW2(lam={lam}) - dJ/dW2(lam=0)")
        expect.close(decayed["b1"], plain["b1"], what=f"dJ/db1 with lam={lam} and without")
        expect.close(decayed["b2"], plain["b2"], what=f"dJ/db2 with lam={lam} and without")
        penalty = lam / 2 * (W1.pow(2).sum() + W2.pow(2).sum())
        expect.close(decayed["loss"] - plain["loss"], penalty, rtol=1e-4, atol=1e-4,
                     what=f"loss(lam={lam}) - loss(lam=0), which should be lam/2 (|W1|^2 + |W2|^2)")


@check(points=2, clause="stable")
def test_logits_of_1000(student, device, rng):
    """Logits of +-1000 give the right finite loss and finite gradients (shift by the row maximum)."""
    X, y, W1, b1, W2, b2 = _worked_example(device)
    W2 = torch.tensor([[1000.0, 0.0, -1000.0]], device=device)
    cases = [("logits (1000, 0, -1000)", (X, torch.tensor([1], device=device), W1, b1, W2, b2))]
    X, y, W1, b1, W2, b2 = _random_network(rng, device)
    # a bias that pushes the logits to about 1000, -1000 and 0; weights so large that the logits
    # differ by hundreds from row to row
    cases.append(("logits near +-1000", (X, y, W1, b1, W2, b2 + torch.tensor([1000.0, -1000.0, 0.0], device=device))))
    cases.append(("logits that differ by hundreds between rows", (X * 4.0, y, W1, b1, W2 * 60.0, b2)))
    for what, args in cases:
        out = student.mlp_grads(*args)
        expect.close(out["loss"], _autograd(*args)["loss"], rtol=1e-5, atol=1e-4, what=f"the loss with {what}")
        for key in NAMES:
            expect.finite(out[key], f"mlp_grads(...)[{key!r}] with {what}")
