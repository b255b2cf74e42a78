"""Visible checks for ch6.cnn: the layout's sizes, log-probabilities, flattened_size and predict."""

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch6.cnn"


@check(points=2, clause="shapes_example")
def test_convnet_shapes(student, device, rng):
    """ConvNet maps (N, 1, 28, 28) to (N, 10) and has 300,426 trainable parameters."""
    h = student.ConvNet()
    h.to(device)
    h.eval()
    out = expect.tensor(h(torch.randn(4, 1, 28, 28, generator=rng).to(device)), what="ConvNet output")
    expect.shape(out, (4, 10), what="ConvNet output for 4 images")
    # 16*1*9 + 16 + 32*16*9 + 32 + 4608*64 + 64 + 64*10 + 10
    expect.equal(h.num_params(), 300_426, what="trainable parameters of ConvNet")


@check(points=1, clause="log_probs_example")
def test_convnet_log_probabilities(student, device, rng):
    """Each row of ConvNet's output is a log-probability vector: its exponentials sum to 1."""
    h = student.ConvNet()
    h.to(device)
    h.eval()
    out = expect.tensor(h(torch.randn(3, 1, 28, 28, generator=rng).to(device)), what="ConvNet output")
    expect.close(out.exp().sum(dim=1), torch.ones(3, device=device), atol=1e-5,
                 what="sum of exp(output) per row (use log_softmax over dimension 1)")
    expect.true(bool((out <= 0).all()), "log-probabilities are never positive")


@check(points=1, clause="dropout_off_example")
def test_convnet_eval_is_deterministic(student, device, rng):
    """In eval mode dropout is off: two calls give the same output; in training mode they differ."""
    h = student.ConvNet()
    h.to(device)
    X = torch.randn(2, 1, 28, 28, generator=rng).to(device)
    h.eval()
    expect.equal(h(X), h(X), what="a second call in eval mode")
    h.train(True)
    expect.true(not bool(torch.equal(h(X, _seed=1), h(X, _seed=2))),
                "two calls in training mode gave the same output: is dropout there?")


@check(points=2, clause="flattened_example")
def test_flattened_size_of_the_convolutions(student, device):
    """cn1 turns one 1x28x28 image into 16 x 26 x 26 = 10,816 values; a 3-output network gives 3."""
    h = student.ConvNet()
    expect.equal(student.flattened_size(h.child("cn1"), (1, 28, 28)), 16 * 26 * 26,
                 what="flattened_size(model.cn1, (1, 28, 28))")
    expect.equal(student.flattened_size(h.child("cn1"), (1, 10, 7)), 16 * 8 * 5,
                 what="flattened_size(model.cn1, (1, 10, 7))")
    expect.equal(student.flattened_size(specs.cnn(in_channels=1, size=8, classes=3), (1, 8, 8)), 3,
                 what="flattened_size of a small network with 3 outputs")


@check(points=2, clause="predict_example")
def test_predict(student, device, rng):
    """predict gives int64 labels of shape (N,) within the classes."""
    net = specs.mlp([6, 8, 4], dropout=0.5, training=True, label="net")
    X = torch.randn(5, 6, generator=rng)
    labels = student.predict(net, X)
    labels = expect.tensor(labels, what="predict output")
    expect.shape(labels, (5,), what="predict output")
    expect.dtype(labels, torch.int64, what="predict output")
    expect.true(bool(((labels >= 0) & (labels < 4)).all()), "labels should lie in 0 .. 3 for 4 classes")
