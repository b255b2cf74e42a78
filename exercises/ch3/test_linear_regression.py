"""Visible checks for ch3.linear_regression: run them with `pytest exercises/ch3/test_linear_regression.py`."""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect, NotPlainData

EXERCISE = "ch3.linear_regression"


@check(points=1, clause="synth_example")
def test_synthetic_data_shapes(student, device, rng):
    """1000 examples of w = (2, -3.4), b = 4.2: X is (1000, 2), y is (1000, 1), y close to X w + b."""
    w = torch.tensor([2.0, -3.4], device=device)
    X, y = student.synthetic_data(w, 4.2, 1000, generator=specs.generator(0))
    expect.shape(X, (1000, 2), "X")
    expect.shape(y, (1000, 1), "y")
    expect.close(y, X @ w.reshape(2, 1) + 4.2, atol=0.06, rtol=0.0, what="y (noise 0.01 around X w + b)")


@check(points=2, clause="iter_pass")
def test_data_iter_covers_the_data(student, device, rng):
    """data_iter(4, X, y) with 10 examples gives batches of 4, 4, 2 holding every example once, next
    to its label; so does a random batch size and number of examples."""
    bs = int(torch.randint(3, 9, (1,), generator=rng))
    for n, b in ((10, 4), (bs * int(torch.randint(3, 7, (1,), generator=rng)) + int(torch.randint(1, bs, (1,),
                                                                                              generator=rng)), bs)):
        # row i holds i, so the example a row came from can be read back
        X = torch.cat([torch.arange(n, dtype=torch.float32).reshape(n, 1), torch.randn(n, 2, generator=rng)],
                      dim=1).to(device)
        y = X[:, :1] * 2
        try:
            batches = student.new_object("data_iter", b, X, y, specs.generator(1)).items()
        except NotPlainData:
            batches = student.data_iter(b, X, y, specs.generator(1))
        expect.equal([len(batch[0]) for batch in batches], [b] * (n // b) + [n % b],
                     what=f"batch sizes of data_iter({b}, X with {n} rows)")
        seen = [int(v) for batch in batches for v in batch[0][:, 0].tolist()]
        expect.equal(sorted(seen), list(range(n)), what=f"the examples met in one pass over {n}")
        for X_b, y_b in batches:
            expect.equal(X_b, X[X_b[:, 0].long()], what="the rows of a batch")
            expect.equal(y_b, X_b[:, :1] * 2, what="labels next to their examples")


@check(points=1, clause="linreg_example")
def test_linreg_example(student, device, rng):
    """linreg is X w + b: [[1, 2], [3, 4]] with w = (1, -1) and b = 0.5 gives -0.5 twice."""
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    w = torch.tensor([[1.0], [-1.0]], device=device)
    b = torch.tensor([0.5], device=device)
    expect.close(student.linreg(X, w, b), torch.tensor([[-0.5], [-0.5]], device=device), what="linreg")


@check(points=1, clause="loss_example")
def test_squared_loss_example(student, device, rng):
    """squared_loss of 3 against 1 is 2, per example; y of shape (n,) is reshaped, not broadcast."""
    y_hat = torch.tensor([[3.0], [0.0]], device=device)
    expect.close(student.squared_loss(y_hat, torch.tensor([1.0, 0.0], device=device)),
                 torch.tensor([[2.0], [0.0]], device=device), what="squared_loss(y_hat (2, 1), y (2,))")


@check(points=2, clause="sgd_example")
def test_sgd_step(student, device, rng):
    """sgd([p], lr=0.5, batch_size=2) with p = 1 and grad 4 leaves p = 0."""
    _, rec = student.call_recorded("sgd", specs.params([torch.ones(2)], [torch.full((2,), 4.0)]), 0.5, 2)
    expect.close(rec["params"]["values"][0], torch.zeros(2), what="the parameter after sgd")


@check(points=2, clause="train_example")
def test_train_linreg(student, device, rng):
    """On 100 examples of w = (2, -3.4), b = 4.2 (lr 0.5, batches of 20), train_linreg gets within 0.02 of the truth."""
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(100, 2, generator=gen)
    y = X @ torch.tensor([[2.0], [-3.4]]) + 4.2 + 0.01 * torch.randn(100, 1, generator=gen)
    w, b = student.train_linreg(X, y, lr=0.5, batch_size=20, generator=specs.generator(0))
    expect.close(w, torch.tensor([[2.0], [-3.4]]), atol=0.02, rtol=0.0, what="trained w")
    expect.close(b, torch.tensor([4.2]), atol=0.02, rtol=0.0, what="trained b")
