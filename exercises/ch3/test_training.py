"""Visible checks for ch3.training: known values and properties of the training loop."""

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch3.training"


def _number(v: object) -> object:
    """A metric's value: a 0-d tensor counts as its number here (its type is one check's concern)."""
    return v.item() if type(v) is torch.Tensor and v.dim() == 0 else v


@check(points=2, clause="acc_example")
def test_accuracy_known_values(student, device):
    """accuracy counts the rows whose argmax is the label and returns a Python float."""
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], device=device)
    got = student.accuracy(y_hat, torch.tensor([2, 1], device=device))
    expect.true(type(got) is float, f"accuracy(...) returned a {type(got).__name__}, expected a Python float")
    expect.close(got, 0.5, rtol=1e-6, atol=1e-6, what="accuracy of the two-row example")
    logits = torch.tensor([[2.0, -1.0], [0.5, 3.0], [1.0, 0.0], [-4.0, -2.0], [0.0, 9.0]], device=device)
    expect.close(student.accuracy(logits, torch.tensor([0, 1, 0, 1, 0], device=device)), 0.8,
                 rtol=1e-6, atol=1e-6,
                 what="accuracy of a 5x2 example with 4 right")


@check(points=2, clause="metrics_float")
def test_metrics_are_python_floats(student, device):
    """evaluate_accuracy, train_epoch and train give every metric as a Python float."""
    # a metric built from the student's own accuracy is a tensor when that accuracy returns one:
    # that slip is test_accuracy_known_values' alone, so it is not charged here a second time
    probe = student.accuracy(torch.tensor([[0.0, 1.0]], device=device), torch.tensor([1], device=device))
    if type(probe) is not float:
        return
    dev = str(device)
    net = specs.mlp([4, 6, 3], seed=21, label="net", device=dev)
    data = specs.loader(n=12, shape=(4,), classes=3, batch_size=5, seed=22, label="data", device=dev)
    acc = student.evaluate_accuracy(net, data)
    expect.true(type(acc) is float, f"evaluate_accuracy returned a {type(acc).__name__}, expected a Python float")
    value = student.train_epoch(net, data, specs.loss("cross_entropy", reduction="mean"), specs.sgd("net", lr=0.1))
    expect.true(type(value) in (tuple, list) and len(value) == 2,
                "train_epoch must return a tuple (loss per example, accuracy)")
    expect.true(all(type(v) is float for v in value),
                f"train_epoch returned ({', '.join(type(v).__name__ for v in value)}), expected two Python floats")
    history = student.train(net, data, data, specs.loss("cross_entropy", reduction="mean"), 2,
                            specs.sgd("net", lr=0.1))
    for i, row in enumerate(history if type(history) is list else []):
        for key in ("train_loss", "train_acc", "test_acc"):
            expect.true(type(row) is dict and type(row.get(key)) is float,
                        f"history[{i}][{key!r}] must be a Python float")


@check(points=2, clause="eval_one_pass")
def test_evaluate_accuracy_one_pass(student, device):
    """evaluate_accuracy draws every batch of data_iter once and changes no parameter."""
    net = specs.mlp([6, 12, 3], dropout=0.5, seed=1, label="net", device=str(device))
    data = specs.loader(n=37, shape=(6,), classes=3, batch_size=8, seed=2, label="test", device=str(device))
    _, rec = student.call_recorded("evaluate_accuracy", net, data)
    expect.equal(rec["test"]["iterations"], 1, what="passes over data_iter")
    expect.equal(rec["test"]["batches"], 5, what="batches drawn from the data (37 examples, batches of 8)")
    expect.close(rec["net"]["final_state"], rec["net"]["initial_state"], what="parameters after evaluation")


@check(points=2, clause="eval_weighted")
def test_evaluate_accuracy_weights_batches(student, device, rng):
    """evaluate_accuracy weights every batch by its size (a small last batch counts less)."""
    net = specs.mlp([4, 8, 2], seed=5, label="net", device=str(device))
    row = torch.tensor([[0.5, -1.0, 2.0, 0.3]], device=device)
    # Identical inputs labelled 0 and 1 alternately: exactly half of them are right, whatever the
    # net says; a batch of one is all right or all wrong. So the mean of the per-batch accuracies
    # never equals the per-example accuracy.
    half = (row.repeat(2, 1), torch.tensor([0, 1], device=device))
    single = (torch.tensor([[1.5, 0.2, -0.7, 1.1]], device=device), torch.tensor([0], device=device))
    acc_single = _number(student.evaluate_accuracy(net, [single]))
    expect.true(acc_single in (0.0, 1.0), f"the accuracy of one example came out as {acc_single}")
    got = _number(student.evaluate_accuracy(net, [half, single]))
    expect.close(got, (1.0 + acc_single) / 3, rtol=1e-6, atol=1e-6, what="accuracy over a batch of 2 and a batch of 1")
    x = (torch.rand(1, 4, generator=rng) * 4 - 2).to(device)
    batches = [(x.repeat(size, 1), (torch.arange(size) % 2).to(device)) for size in (2, 4)] + [single]
    got = _number(student.evaluate_accuracy(net, batches))
    expect.close(got, (3.0 + acc_single) / 7, rtol=1e-6, atol=1e-6,
                 what="accuracy over batches of 2, 4 and 1 examples")


@check(points=2, clause="epoch_one_pass")
def test_train_epoch_steps_once_per_batch(student, device):
    """train_epoch makes one pass over train_iter with one optimizer step per batch, and returns a pair."""
    net = specs.mlp([6, 10, 3], dropout=0.2, seed=3, label="net", device=str(device))
    data = specs.loader(n=45, shape=(6,), classes=3, batch_size=10, seed=4, label="train", device=str(device))
    loss = specs.loss("cross_entropy", reduction="mean")
    opt = specs.sgd("net", lr=0.1)
    value, rec = student.call_recorded("train_epoch", net, data, loss, opt, _seed=7)
    expect.true(type(value) in (tuple, list) and len(value) == 2,
                "train_epoch must return a tuple (loss per example, accuracy)")
    expect.equal(rec["train"]["iterations"], 1, what="passes over train_iter")
    expect.equal(rec["train"]["batches"], 5, what="batches drawn (45 examples, batches of 10)")
    expect.equal(len(rec["updater"]["steps"]), 5, what="optimizer steps")


@check(points=2, clause="epoch_weighted")
def test_train_epoch_loss_is_per_example(student, device):
    """With lr=0 the epoch's loss and accuracy are the same for any batch size (a partial last batch counts with its size)."""
    results = {}
    for batch_size in (8, 29, 6):   # 29 examples: batches 8+8+8+5, a single batch of 29, or 6+6+6+6+5
        net = specs.mlp([5, 7, 4], seed=11, label="net", device=str(device))
        data = specs.loader(n=29, shape=(5,), classes=4, batch_size=batch_size, seed=12,
                            label="train", device=str(device))
        results[batch_size] = student.train_epoch(net, data, specs.loss("cross_entropy", reduction="mean"),
                                                  specs.sgd("net", lr=0.0))
    one_batch = results[29]
    for batch_size, value in results.items():
        expect.close(_number(value[0]), _number(one_batch[0]), rtol=1e-5, atol=1e-6,
                     what=f"train loss with batch_size={batch_size}")
        expect.close(_number(value[1]), _number(one_batch[1]), rtol=1e-5, atol=1e-6,
                     what=f"train accuracy with batch_size={batch_size}")


@check(points=2, clause="train_history_form")
def test_train_history(student, device):
    """train returns one dict per epoch, in order, with the keys epoch (counted from 1), train_loss, train_acc, test_acc."""
    net = specs.mlp([6, 10, 3], seed=8, label="net", device=str(device))
    train_data = specs.loader(n=30, shape=(6,), classes=3, batch_size=16, seed=9, label="train",
                              device=str(device))
    test_data = specs.loader(n=20, shape=(6,), classes=3, batch_size=16, seed=10, label="test",
                             device=str(device))
    history = student.train(net, train_data, test_data, specs.loss("cross_entropy", reduction="mean"), 3,
                            specs.sgd("net", lr=0.1), _seed=4)
    expect.true(type(history) is list and len(history) == 3,
                "train(..., num_epochs=3, ...) must return a list of 3 dicts")
    for i, row in enumerate(history):
        expect.true(type(row) is dict and set(row) == {"epoch", "train_loss", "train_acc", "test_acc"},
                    f"history[{i}] must be a dict with keys epoch, train_loss, train_acc, test_acc")
        expect.equal(row["epoch"], i + 1, what=f"history[{i}]['epoch']")
