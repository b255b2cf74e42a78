"""Hidden checks for ch3.training: the student's loop against the reference on the same builds.

Every training call runs with the same `_seed` on both sides, so dropout draws the same masks
as long as the student's loop does what the reference does in the same order; parameter
trajectories (the state after every optimizer step) must then agree.
"""

import torch

from grader.checks import specs, check, expect, reference_call

EXERCISE = "ch3.training"

# Python floats: summing float32 batch values in another order moves the last digits.
METRIC_TOL = {"rtol": 1e-5, "atol": 1e-6}
# Parameters after several SGD steps: alternatives (l.sum()/n vs l.mean()) differ in rounding.
PARAM_TOL = {"rtol": 1e-4, "atol": 1e-5}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _setup(rng: torch.Generator, device: torch.device, *, dropout: float = 0.5,
           test: bool = False, training: bool = True) -> dict:
    """A dropout MLP and a loader whose last batch is partial, all sizes drawn from rng."""
    features, classes, batch = _int(rng, 4, 9), _int(rng, 3, 5), _int(rng, 6, 12)
    n = batch * _int(rng, 2, 4) + _int(rng, 1, batch - 1)
    dev = str(device)
    setup = {
        "net": specs.mlp([features, _int(rng, 8, 16), classes], dropout=dropout,
                         seed=_int(rng, 0, 10_000), label="net", device=dev, training=training),
        "train": specs.loader(n=n, shape=(features,), classes=classes, batch_size=batch,
                              seed=_int(rng, 0, 10_000), label="train", device=dev),
        "seed": _int(rng, 0, 10_000),
        "batches": -(-n // batch),
    }
    if test:
        m = batch + _int(rng, 1, batch - 1)
        setup["test"] = specs.loader(n=m, shape=(features,), classes=classes, batch_size=batch,
                                     seed=_int(rng, 0, 10_000), label="test", device=dev)
        setup["test_batches"] = 2
    return setup


def _as_pair(value: object, what: str) -> tuple:
    expect.true(type(value) in (tuple, list) and len(value) == 2,
                f"{what} must return a tuple (loss per example, accuracy)")
    return tuple(value)


# ---------------------------------------------------------------- accuracy

@check(points=2)
def test_accuracy_random(student, reference, device, rng):
    """accuracy matches the reference on random non-square scores and is a Python float."""
    for _ in range(3):
        n, q = _int(rng, 5, 40), _int(rng, 2, 10)
        if n == q:
            n += 1
        y_hat = torch.randn(n, q, generator=rng).to(device)
        # Make about half the rows right so a count or a wrong axis cannot come out the same.
        y = torch.where(torch.rand(n, generator=rng).to(device) < 0.5, y_hat.argmax(dim=1),
                        torch.randint(0, q, (n,), generator=rng).to(device))
        got = student.accuracy(y_hat, y)
        expect.true(type(got) is float, f"accuracy returned a {type(got).__name__}, expected a Python float")
        expect.close(got, reference.accuracy(y_hat, y), **METRIC_TOL, what=f"accuracy on {n}x{q} scores")


@check(points=1)
def test_accuracy_single_row_and_extremes(student, reference, device, rng):
    """accuracy handles a batch of one and all-right / all-wrong batches."""
    y_hat = torch.randn(1, 4, generator=rng).to(device)
    right = y_hat.argmax(dim=1)
    expect.close(student.accuracy(y_hat, right), 1.0, **METRIC_TOL, what="accuracy of one right row")
    expect.close(student.accuracy(y_hat, (right + 1) % 4), 0.0, **METRIC_TOL, what="accuracy of one wrong row")
    y_hat = torch.randn(7, 3, generator=rng).to(device)
    wrong = (y_hat.argmax(dim=1) + 1) % 3
    expect.close(student.accuracy(y_hat, wrong), 0.0, **METRIC_TOL, what="accuracy with every row wrong")


# ---------------------------------------------------------------- evaluate_accuracy

@check(points=2)
def test_evaluate_accuracy_matches_reference(student, reference, device, rng):
    """evaluate_accuracy matches the reference on a dropout net and a partial last batch."""
    s = _setup(rng, device)
    got, rec = student.call_recorded("evaluate_accuracy", s["net"], s["train"], _seed=s["seed"])
    exp, ref = reference_call(reference.evaluate_accuracy, s["net"], s["train"], _seed=s["seed"])
    expect.true(type(got) is float, f"evaluate_accuracy returned a {type(got).__name__}, expected a Python float")
    expect.close(got, exp, **METRIC_TOL, what="evaluate_accuracy")
    expect.equal(rec["train"]["batches"], ref["train"]["batches"], what="batches drawn from data_iter")
    expect.close(rec["net"]["final_state"], ref["net"]["final_state"], what="parameters after evaluation")


@check(points=1)
def test_evaluate_accuracy_eval_mode(student, reference, device, rng):
    """evaluate_accuracy puts the net in eval mode for every forward pass."""
    s = _setup(rng, device)
    got, rec = student.call_recorded("evaluate_accuracy", s["net"], s["train"], _seed=s["seed"])
    expect.equal(rec["net"]["modes"], [False] * s["batches"], what="net.training at each forward pass")
    # the record is a hint from the student's process; the data must agree: on a dropout net a
    # forward pass in train mode changes the accuracy
    exp, _ = reference_call(reference.evaluate_accuracy, s["net"], s["train"], _seed=s["seed"])
    expect.close(got, exp, **METRIC_TOL, what="evaluate_accuracy (in eval mode)")


@check(points=1)
def test_evaluate_accuracy_no_grad(student, reference, device, rng):
    """evaluate_accuracy runs every forward pass with gradients switched off."""
    s = _setup(rng, device)
    _, rec = student.call_recorded("evaluate_accuracy", s["net"], s["train"], _seed=s["seed"])
    expect.equal(rec["net"]["grad_enabled"], [False] * s["batches"],
                 what="torch.is_grad_enabled() at each forward pass")


@check(points=2)
def test_evaluate_accuracy_weights_by_batch_size(student, reference, device, rng):
    """evaluate_accuracy weights batches by their size (batches of different sizes)."""
    features = _int(rng, 3, 6)
    net = specs.mlp([features, 8, 2], seed=_int(rng, 0, 10_000), label="net", device=str(device))
    batches = []
    for size in (2, 4, 1):
        # Identical rows labelled 0 and 1 alternately: exactly half right, whatever the net says,
        # except the batch of one, which is all right or all wrong. So the mean of per-batch
        # accuracies can never equal the per-example accuracy.
        x = torch.randn(1, features, generator=rng).to(device).repeat(size, 1)
        batches.append((x, (torch.arange(size) % 2).to(device)))
    got = student.evaluate_accuracy(net, batches)
    exp, _ = reference_call(reference.evaluate_accuracy, net, batches)
    expect.close(got, exp, **METRIC_TOL, what="evaluate_accuracy over batches of 2, 4 and 1 examples")


# ---------------------------------------------------------------- train_epoch

def _train_epoch_both(student, reference, device, rng, reduction: str):
    s = _setup(rng, device)
    args = (s["net"], s["train"], specs.loss("cross_entropy", reduction=reduction),
            specs.sgd("net", lr=0.3, label="updater"))
    got, rec = student.call_recorded("train_epoch", *args, _seed=s["seed"])
    exp, ref = reference_call(reference.train_epoch, *args, _seed=s["seed"])
    return s, got, rec, exp, ref


def _same_trajectory(rec: dict, ref: dict, what: str) -> None:
    expect.equal(rec["train"]["batches"], ref["train"]["batches"], what=f"{what}: batches drawn")
    expect.equal(len(rec["updater"]["steps"]), len(ref["updater"]["steps"]), what=f"{what}: optimizer steps")
    expect.close(rec["updater"]["steps"], ref["updater"]["steps"], **PARAM_TOL,
                 what=f"{what}: parameters after each step")
    expect.close(rec["net"]["final_state"], ref["net"]["final_state"], **PARAM_TOL,
                 what=f"{what}: final parameters")


@check(points=3)
def test_train_epoch_trajectory_mean_loss(student, reference, device, rng):
    """train_epoch with a reduction='mean' loss updates the parameters like the reference."""
    _, _, rec, _, ref = _train_epoch_both(student, reference, device, rng, "mean")
    _same_trajectory(rec, ref, "train_epoch (reduction='mean')")


@check(points=3)
def test_train_epoch_trajectory_none_loss(student, reference, device, rng):
    """train_epoch with a reduction='none' loss updates the parameters like the reference."""
    _, _, rec, _, ref = _train_epoch_both(student, reference, device, rng, "none")
    _same_trajectory(rec, ref, "train_epoch (reduction='none')")


@check(points=2)
def test_train_epoch_metrics_mean_loss(student, reference, device, rng):
    """train_epoch returns the reference's (loss per example, accuracy) for a 'mean' loss."""
    _, got, _, exp, _ = _train_epoch_both(student, reference, device, rng, "mean")
    got = _as_pair(got, "train_epoch")
    for i, name in enumerate(("loss per example", "accuracy")):
        expect.true(type(got[i]) is float, f"train_epoch's {name} must be a Python float")
        expect.close(got[i], exp[i], **METRIC_TOL, what=f"train_epoch's {name} (reduction='mean')")


@check(points=2)
def test_train_epoch_metrics_none_loss(student, reference, device, rng):
    """train_epoch returns the reference's (loss per example, accuracy) for a 'none' loss."""
    _, got, _, exp, _ = _train_epoch_both(student, reference, device, rng, "none")
    got = _as_pair(got, "train_epoch")
    for i, name in enumerate(("loss per example", "accuracy")):
        expect.true(type(got[i]) is float, f"train_epoch's {name} must be a Python float")
        expect.close(got[i], exp[i], **METRIC_TOL, what=f"train_epoch's {name} (reduction='none')")


@check(points=1)
def test_train_epoch_modes(student, reference, device, rng):
    """train_epoch runs every forward pass in train mode with gradients on."""
    s, _, rec, _, ref = _train_epoch_both(student, reference, device, rng, "mean")
    expect.equal(rec["net"]["modes"], [True] * s["batches"], what="net.training at each forward pass")
    expect.equal(rec["net"]["grad_enabled"], [True] * s["batches"],
                 what="torch.is_grad_enabled() at each forward pass")
    # the records are hints from the student's process; the parameters must agree (dropout in
    # train mode and gradients both shape the trajectory of a dropout net)
    expect.close(rec["net"]["final_state"], ref["net"]["final_state"], **PARAM_TOL,
                 what="parameters after the epoch")


@check(points=1)
def test_train_epoch_switches_an_eval_net_to_train_mode(student, reference, device, rng):
    """train_epoch puts a net it receives in eval mode back into train mode itself."""
    s = _setup(rng, device, training=False)
    args = (s["net"], s["train"], specs.loss("cross_entropy", reduction="mean"),
            specs.sgd("net", lr=0.3, label="updater"))
    _, rec = student.call_recorded("train_epoch", *args, _seed=s["seed"])
    expect.equal(rec["net"]["modes"], [True] * s["batches"],
                 what="net.training at each forward pass (net handed over in eval mode)")
    _, ref = reference_call(reference.train_epoch, *args, _seed=s["seed"])
    expect.close(rec["net"]["final_state"], ref["net"]["final_state"], **PARAM_TOL,
                 what="parameters after the epoch (net handed over in eval mode)")


@check(points=1)
def test_evaluate_accuracy_leaves_eval_mode(student, reference, device, rng):
    """evaluate_accuracy leaves the net in eval mode, as the text asks."""
    s = _setup(rng, device)
    _, rec = student.call_recorded("evaluate_accuracy", s["net"], s["train"], _seed=s["seed"])
    expect.equal(rec["net"]["final_training"], False, what="net.training after evaluate_accuracy")


# ---------------------------------------------------------------- train

def _train_both(student, reference, device, rng, epochs: int, reduction: str = "none"):
    s = _setup(rng, device, test=True)
    args = (s["net"], s["train"], s["test"], specs.loss("cross_entropy", reduction=reduction), epochs,
            specs.sgd("net", lr=0.2, label="updater"))
    got, rec = student.call_recorded("train", *args, _seed=s["seed"])
    exp, ref = reference_call(reference.train, *args, _seed=s["seed"])
    return got, rec, exp, ref


@check(points=2)
def test_train_history(student, reference, device, rng):
    """train returns the reference's per-epoch history (epochs numbered from 1)."""
    got, _, exp, _ = _train_both(student, reference, device, rng, 2)
    expect.true(type(got) is list, f"train returned a {type(got).__name__}, expected a list of dicts")
    expect.close(got, exp, **METRIC_TOL, what="train's history")


@check(points=2)
def test_train_modes_every_epoch(student, reference, device, rng):
    """train switches to train mode for every epoch's training and to eval mode for testing."""
    _, rec, _, ref = _train_both(student, reference, device, rng, 2)
    expect.equal(rec["net"]["modes"], ref["net"]["modes"], what="net.training at each forward pass")
    expect.equal(rec["net"]["grad_enabled"], ref["net"]["grad_enabled"],
                 what="torch.is_grad_enabled() at each forward pass")
    expect.equal(rec["test"]["iterations"], ref["test"]["iterations"], what="passes over test_iter")


@check(points=2)
def test_train_trajectory(student, reference, device, rng):
    """train updates the parameters exactly like the reference over two epochs (a mean loss)."""
    # the mean loss every train_epoch handles: a train_epoch that fails on reduction='none' is
    # charged by its own checks and the other train checks, not by this one too
    _, rec, _, ref = _train_both(student, reference, device, rng, 2, reduction="mean")
    _same_trajectory(rec, ref, "train")
