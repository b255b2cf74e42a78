"""Visible checks for ch3.linear_regression: run them with `pytest exercises/ch3/test_linear_regression.py`."""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect, NotPlainData

EXERCISE = "ch3.linear_regression"


@check(points=1)
def test_synthetic_data_shapes(student, device, rng):
    """1000 examples of w = (2, -3.4), b = 4.2: X is (1000, 2), y is (1000, 1), y close to X w + b."""
    w = torch.tensor([2.0, -3.4], device=device)
    X, y = student.synthetic_data(w, 4.2, 1000, generator=specs.generator(0))
    expect.shape(X, (1000, 2), "X")
    expect.shape(y, (1000, 1), "y")
    expect.close(y, X @ w.reshape(2, 1) + 4.2, atol=0.06, rtol=0.0, what="y (noise 0.01 around X w + b)")


@check(points=2)
def test_data_iter_covers_the_data(student, device, rng):
    """data_iter(4, X, y) with 10 examples gives batches of 4, 4, 2 holding every example once."""
    X = torch.arange(10, dtype=torch.float32, device=device).reshape(10, 1)
    y = X * 2
    try:
        batches = student.new_object("data_iter", 4, X, y, specs.generator(1)).items()
    except NotPlainData:
        batches = student.data_iter(4, X, y, specs.generator(1))
    expect.equal([len(b[0]) for b in batches], [4, 4, 2], what="batch sizes")
    seen = sorted(int(v) for b in batches for v in b[0].reshape(-1).tolist())
    expect.equal(seen, list(range(10)), what="the examples met in one pass")
    for X_b, y_b in batches:
        expect.equal(y_b, X_b * 2, what="labels next to their examples")


@check(points=2)
def test_linreg_and_loss(student, device, rng):
    """linreg is X w + b; squared_loss of 3 against 1 is 2; y of shape (n,) is reshaped, not broadcast."""
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    w = torch.tensor([[1.0], [-1.0]], device=device)
    b = torch.tensor([0.5], device=device)
    expect.close(student.linreg(X, w, b), torch.tensor([[-0.5], [-0.5]], device=device), what="linreg")
    y_hat = torch.tensor([[3.0], [0.0]], device=device)
    expect.close(student.squared_loss(y_hat, torch.tensor([1.0, 0.0], device=device)),
                 torch.tensor([[2.0], [0.0]], device=device), what="squared_loss(y_hat (2, 1), y (2,))")


@check(points=2)
def test_sgd_step(student, device, rng):
    """sgd([p], lr=0.5, batch_size=2) with p = 1 and grad 4 leaves p = 0 and a zero gradient."""
    _, rec = student.call_recorded("sgd", specs.params([torch.ones(2)], [torch.full((2,), 4.0)]), 0.5, 2)
    expect.close(rec["params"]["values"][0], torch.zeros(2), what="the parameter after sgd")
    g = rec["params"]["grads"][0]
    expect.true(g is None or bool((g == 0).all()), "the gradient was not reset to zero after sgd")


@check(points=2)
def test_train_linreg(student, device, rng):
    """On 100 examples of w = (2, -3.4), b = 4.2 (lr 0.5, batches of 20), train_linreg gets within 0.02 of the truth."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(100, 2, generator=gen)
    y = X @ torch.tensor([[2.0], [-3.4]]) + 4.2 + 0.01 * torch.randn(100, 1, generator=gen)
    w, b = student.train_linreg(X, y, lr=0.5, batch_size=20, generator=specs.generator(0))
    expect.close(w, torch.tensor([[2.0], [-3.4]]), atol=0.02, rtol=0.0, what="trained w")
    expect.close(b, torch.tensor([4.2]), atol=0.02, rtol=0.0, what="trained b")
