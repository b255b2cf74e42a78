"""Visible checks for ch3.training: known values and properties of the training loop."""

import math

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch3.training"


def _is_float(v: object) -> bool:
    return type(v) is float


@check(points=2)
def test_accuracy_known_values(student, device):
    """accuracy counts the rows whose argmax is the label and returns a Python float."""
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], device=device)
    got = student.accuracy(y_hat, torch.tensor([2, 1], device=device))
    expect.true(_is_float(got), f"accuracy(...) returned a {type(got).__name__}, expected a Python float")
    expect.close(got, 0.5, rtol=1e-6, atol=1e-6, what="accuracy of the two-row example")
    logits = torch.tensor([[2.0, -1.0], [0.5, 3.0], [1.0, 0.0], [-4.0, -2.0], [0.0, 9.0]], device=device)
    expect.close(student.accuracy(logits, torch.tensor([0, 1, 0, 1, 0], device=device)), 0.8,
                 rtol=1e-6, atol=1e-6,
                 what="accuracy of a 5x2 example with 4 right")


@check(points=2)
def test_evaluate_accuracy_eval_mode_no_grad(student, device):
    """evaluate_accuracy runs the net in eval mode, without gradients, over each batch once."""
    net = specs.mlp([6, 12, 3], dropout=0.5, seed=1, label="net", device=str(device))
    data = specs.loader(n=37, shape=(6,), classes=3, batch_size=8, seed=2, label="test", device=str(device))
    acc, rec = student.call_recorded("evaluate_accuracy", net, data)
    expect.true(_is_float(acc), f"evaluate_accuracy returned a {type(acc).__name__}, expected a Python float")
    expect.true(0.0 <= acc <= 1.0, f"evaluate_accuracy returned {acc}, which is not in [0, 1]")
    expect.equal(rec["test"]["batches"], 5, what="batches drawn from the data (37 examples, batches of 8)")
    expect.equal(rec["net"]["modes"], [False] * 5, what="net.training at each forward pass")
    expect.equal(rec["net"]["grad_enabled"], [False] * 5,
                 what="torch.is_grad_enabled() at each forward pass")
    expect.close(rec["net"]["final_state"], rec["net"]["initial_state"], what="parameters after evaluation")


@check(points=2)
def test_evaluate_accuracy_weights_batches(student, device):
    """evaluate_accuracy weights every batch by its size (a small last batch counts less)."""
    net = specs.mlp([4, 8, 2], seed=5, label="net", device=str(device))
    row = torch.tensor([[0.5, -1.0, 2.0, 0.3]], device=device)
    # Two identical inputs labelled 0 and 1: exactly one of them is right, whatever the net says.
    half = (row.repeat(2, 1), torch.tensor([0, 1], device=device))
    single = (torch.tensor([[1.5, 0.2, -0.7, 1.1]], device=device), torch.tensor([0], device=device))
    acc_single = student.evaluate_accuracy(net, [single])
    expect.true(acc_single in (0.0, 1.0), f"the accuracy of one example came out as {acc_single}")
    got = student.evaluate_accuracy(net, [half, single])
    expect.close(got, (1.0 + acc_single) / 3, rtol=1e-6, atol=1e-6, what="accuracy over a batch of 2 and a batch of 1")


@check(points=2)
def test_train_epoch_steps_and_metrics(student, device):
    """train_epoch trains in train mode, steps once per batch and returns two floats."""
    net = specs.mlp([6, 10, 3], dropout=0.2, seed=3, label="net", device=str(device))
    data = specs.loader(n=45, shape=(6,), classes=3, batch_size=10, seed=4, label="train", device=str(device))
    loss = specs.loss("cross_entropy", reduction="mean")
    opt = specs.sgd("net", lr=0.1)
    value, rec = student.call_recorded("train_epoch", net, data, loss, opt, _seed=7)
    expect.true(type(value) in (tuple, list) and len(value) == 2,
                "train_epoch must return a tuple (loss per example, accuracy)")
    loss_value, acc = value
    expect.true(_is_float(loss_value) and _is_float(acc), "train_epoch must return two Python floats")
    expect.true(math.isfinite(loss_value) and loss_value > 0, f"train_epoch's loss is {loss_value}")
    expect.true(0.0 <= acc <= 1.0, f"train_epoch's accuracy is {acc}, which is not in [0, 1]")
    expect.equal(rec["train"]["iterations"], 1, what="passes over train_iter")
    expect.equal(rec["train"]["batches"], 5, what="batches drawn (45 examples, batches of 10)")
    expect.equal(len(rec["updater"]["steps"]), 5, what="optimizer steps")
    expect.equal(rec["net"]["modes"], [True] * 5, what="net.training at each forward pass")
    expect.equal(rec["net"]["grad_enabled"], [True] * 5, what="torch.is_grad_enabled() at each forward pass")


@check(points=2)
def test_train_epoch_loss_is_per_example(student, device):
    """With lr=0 the epoch loss is the same for 'mean'/'none' losses and for any batch size."""
    results = {}
    for reduction in ("mean", "none"):
        for batch_size in (8, 29):   # 29 examples: batches 8+8+8+5, or a single batch of 29
            net = specs.mlp([5, 7, 4], seed=11, label="net", device=str(device))
            data = specs.loader(n=29, shape=(5,), classes=4, batch_size=batch_size, seed=12,
                                label="train", device=str(device))
            value = student.train_epoch(net, data, specs.loss("cross_entropy", reduction=reduction),
                                        specs.sgd("net", lr=0.0))
            results[reduction, batch_size] = value
    one_batch = results["mean", 29]
    for key, value in results.items():
        expect.close(float(value[0]), float(one_batch[0]), rtol=1e-5, atol=1e-6,
                     what=f"train loss with reduction={key[0]!r}, batch_size={key[1]}")
        expect.close(float(value[1]), float(one_batch[1]), rtol=1e-5, atol=1e-6,
                     what=f"train accuracy with reduction={key[0]!r}, batch_size={key[1]}")


@check(points=2)
def test_train_history_and_modes(student, device):
    """train returns one dict per epoch (epochs from 1) and switches train/eval mode each epoch."""
    net = specs.mlp([6, 10, 3], dropout=0.3, seed=8, label="net", device=str(device))
    train_data = specs.loader(n=30, shape=(6,), classes=3, batch_size=16, seed=9, label="train",
                              device=str(device))
    test_data = specs.loader(n=20, shape=(6,), classes=3, batch_size=16, seed=10, label="test",
                             device=str(device))
    history, rec = student.call_recorded("train", net, train_data, test_data,
                                         specs.loss("cross_entropy", reduction="none"), 3,
                                         specs.sgd("net", lr=0.1), _seed=4)
    expect.true(type(history) is list and len(history) == 3,
                "train(..., num_epochs=3, ...) must return a list of 3 dicts")
    for i, row in enumerate(history):
        expect.true(type(row) is dict and set(row) == {"epoch", "train_loss", "train_acc", "test_acc"},
                    f"history[{i}] must be a dict with keys epoch, train_loss, train_acc, test_acc")
        expect.equal(row["epoch"], i + 1, what=f"history[{i}]['epoch']")
        for key in ("train_loss", "train_acc", "test_acc"):
            expect.true(_is_float(row[key]), f"history[{i}][{key!r}] must be a Python float")
    # Per epoch: 2 training batches in train mode with gradients, then 2 test batches without.
    expect.equal(rec["net"]["modes"], [True, True, False, False] * 3, what="net.training at each forward pass")
    expect.equal(rec["net"]["grad_enabled"], [True, True, False, False] * 3,
                 what="torch.is_grad_enabled() at each forward pass")
    expect.equal(len(rec["updater"]["steps"]), 6, what="optimizer steps over 3 epochs")
