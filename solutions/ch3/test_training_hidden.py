"""Hidden checks for ch3.training: the student's loop against the reference on the same builds.

Every training call runs with the same `_seed` on both sides, so dropout draws the same masks
as long as the student's loop does what the reference does in the same order; parameter
trajectories (the state after every optimizer step) must then agree.

One slip, one check: a metric's type is test_metrics_are_python_floats' concern, so values are
compared as numbers here; a check of a function that calls the student's helpers uses cases
every helper handles that is right in its own clauses (no dropout where the helper's mode is not
the point, full batches where its weighting is not, a 'mean' loss where 'none' is not).
"""

import torch

from grader.checks import specs, check, expect, reference_call

EXERCISE = "ch3.training"

# The contract (the exercise's "What to write" and the steps it describes), one sentence a
# clause; each check names the one it charges.
CLAUSES = {
    "acc_example": "accuracy of the text's example is 0.5 (and 0.8 for a 5 x 2 one), as a Python float",
    "acc_any": "accuracy is the fraction of rows whose argmax is the label, for any non-square scores",
    "acc_edges": "accuracy handles a batch of one and batches that are all right or all wrong",
    "metrics_float": "evaluate_accuracy, train_epoch and train give every metric as a Python float",
    "eval_value": "evaluate_accuracy gives the accuracy over every example of data_iter",
    "eval_one_pass": "evaluate_accuracy iterates over data_iter once and changes no parameter",
    "eval_weighted": "evaluate_accuracy weights every batch by its size",
    "eval_mode": "evaluate_accuracy puts the net in evaluation mode for every forward pass and leaves it there",
    "eval_no_grad": "evaluate_accuracy runs every forward pass without gradients",
    "epoch_one_pass": "train_epoch makes one pass over train_iter, one optimizer step per batch",
    "epoch_trajectory": "per batch: forward, loss, zero_grad, backward of the mean loss, step (the parameters "
                        "after each step)",
    "epoch_metrics": "train_epoch returns (loss per example, accuracy) of the epoch",
    "epoch_weighted": "the epoch's loss and accuracy weight every batch by its size",
    "epoch_none": "train_epoch works with a reduction='none' loss: it backpropagates the batch mean",
    "epoch_modes": "every forward pass of train_epoch runs in training mode with gradients on",
    "epoch_sets_train": "train_epoch puts the net in training mode itself, also one it receives in evaluation mode",
    "train_history_form": "train returns a list of one dict per epoch, in order, with epoch counted from 1",
    "train_values": "each epoch is one train_epoch then one evaluate_accuracy(net, test_iter): the history's "
                    "numbers and the parameters after num_epochs epochs",
}

# Python floats: summing float32 batch values in another order moves the last digits.
METRIC_TOL = {"rtol": 1e-5, "atol": 1e-6}
# Parameters after several SGD steps: alternatives (l.sum()/n vs l.mean()) differ in rounding.
PARAM_TOL = {"rtol": 1e-4, "atol": 1e-5}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _number(v: object) -> object:
    """A metric's value: a 0-d tensor counts as its number here (its type is one check's concern)."""
    return v.item() if type(v) is torch.Tensor and v.dim() == 0 else v


def _setup(rng: torch.Generator, device: torch.device, *, dropout: float = 0.5, partial: bool = True,
           test: bool = False, training: bool = True, batch: int = 0, n: int = 0) -> dict:
    """A dropout MLP and a loader (its last batch partial unless partial=False), sizes drawn from rng."""
    features, classes, batch = _int(rng, 4, 9), _int(rng, 3, 5), batch or _int(rng, 6, 12)
    n = n or batch * _int(rng, 2, 4) + (_int(rng, 1, batch - 1) if partial else 0)
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
        m = batch * 2 + (_int(rng, 1, batch - 1) if partial else 0)
        setup["test"] = specs.loader(n=m, shape=(features,), classes=classes, batch_size=batch,
                                     seed=_int(rng, 0, 10_000), label="test", device=dev)
    return setup


def _as_pair(value: object, what: str) -> tuple:
    expect.true(type(value) in (tuple, list) and len(value) == 2,
                f"{what} must return a tuple (loss per example, accuracy)")
    return tuple(_number(v) for v in value)


# ---------------------------------------------------------------- accuracy

@check(points=2, clause="acc_any")
def test_accuracy_random(student, reference, device, rng):
    """accuracy matches the reference on random non-square scores."""
    for _ in range(3):
        n, q = _int(rng, 5, 40), _int(rng, 2, 10)
        if n == q:
            n += 1
        y_hat = torch.randn(n, q, generator=rng).to(device)
        # Make about half the rows right so a count or a wrong axis cannot come out the same.
        y = torch.where(torch.rand(n, generator=rng).to(device) < 0.5, y_hat.argmax(dim=1),
                        torch.randint(0, q, (n,), generator=rng).to(device))
        expect.close(_number(student.accuracy(y_hat, y)), reference.accuracy(y_hat, y), **METRIC_TOL,
                     what=f"accuracy on {n}x{q} scores")


@check(points=1, clause="acc_edges")
def test_accuracy_single_row_and_extremes(student, reference, device, rng):
    """accuracy handles a batch of one and all-right / all-wrong batches."""
    y_hat = torch.randn(1, 4, generator=rng).to(device)
    right = y_hat.argmax(dim=1)
    expect.close(_number(student.accuracy(y_hat, right)), 1.0, **METRIC_TOL, what="accuracy of one right row")
    expect.close(_number(student.accuracy(y_hat, (right + 1) % 4)), 0.0, **METRIC_TOL,
                 what="accuracy of one wrong row")
    y_hat = torch.randn(7, 3, generator=rng).to(device)
    wrong = (y_hat.argmax(dim=1) + 1) % 3
    expect.close(_number(student.accuracy(y_hat, wrong)), 0.0, **METRIC_TOL, what="accuracy with every row wrong")


# ---------------------------------------------------------------- evaluate_accuracy

@check(points=2, clause="eval_value")
def test_evaluate_accuracy_matches_reference(student, reference, device, rng):
    """evaluate_accuracy matches the reference's accuracy over a data set (a net without dropout, full batches)."""
    s = _setup(rng, device, dropout=0.0, partial=False)
    got = student.evaluate_accuracy(s["net"], s["train"], _seed=s["seed"])
    exp, _ = reference_call(reference.evaluate_accuracy, s["net"], s["train"], _seed=s["seed"])
    expect.close(_number(got), exp, **METRIC_TOL, what="evaluate_accuracy")


@check(points=2, clause="eval_mode")
def test_evaluate_accuracy_eval_mode(student, reference, device, rng):
    """evaluate_accuracy puts the net in eval mode for every forward pass and leaves it in eval mode."""
    s = _setup(rng, device, partial=False)
    got, rec = student.call_recorded("evaluate_accuracy", s["net"], s["train"], _seed=s["seed"])
    expect.equal(rec["net"]["modes"], [False] * s["batches"], what="net.training at each forward pass")
    expect.equal(rec["net"]["final_training"], False, what="net.training after evaluate_accuracy")
    # the record is a hint from the student's process; the data must agree: on a dropout net a
    # forward pass in train mode changes the accuracy
    exp, _ = reference_call(reference.evaluate_accuracy, s["net"], s["train"], _seed=s["seed"])
    expect.close(_number(got), exp, **METRIC_TOL, what="evaluate_accuracy (in eval mode)")


@check(points=1, clause="eval_no_grad")
def test_evaluate_accuracy_no_grad(student, reference, device, rng):
    """evaluate_accuracy runs every forward pass with gradients switched off."""
    s = _setup(rng, device)
    _, rec = student.call_recorded("evaluate_accuracy", s["net"], s["train"], _seed=s["seed"])
    expect.equal(rec["net"]["grad_enabled"], [False] * s["batches"],
                 what="torch.is_grad_enabled() at each forward pass")


# ---------------------------------------------------------------- train_epoch

def _train_epoch_both(student, reference, device, rng, reduction: str, lr: float = 0.3, **setup):
    s = _setup(rng, device, **setup)
    args = (s["net"], s["train"], specs.loss("cross_entropy", reduction=reduction),
            specs.sgd("net", lr=lr, label="updater"))
    got, rec = student.call_recorded("train_epoch", *args, _seed=s["seed"])
    exp, ref = reference_call(reference.train_epoch, *args, _seed=s["seed"])
    return s, got, rec, exp, ref


def _same_trajectory(rec: dict, ref: dict, what: str) -> None:
    expect.close(rec["updater"]["steps"], ref["updater"]["steps"], **PARAM_TOL,
                 what=f"{what}: parameters after each step")
    expect.close(rec["net"]["final_state"], ref["net"]["final_state"], **PARAM_TOL,
                 what=f"{what}: final parameters")


def _same_metrics(got: object, exp: tuple, what: str, only_loss: bool = False) -> None:
    got = _as_pair(got, "train_epoch")
    for i, name in enumerate(("loss per example",) if only_loss else ("loss per example", "accuracy")):
        expect.close(got[i], exp[i], **METRIC_TOL, what=f"train_epoch's {name} ({what})")


@check(points=3, clause="epoch_trajectory")
def test_train_epoch_trajectory_mean_loss(student, reference, device, rng):
    """train_epoch with a reduction='mean' loss updates the parameters like the reference."""
    _, _, rec, _, ref = _train_epoch_both(student, reference, device, rng, "mean")
    _same_trajectory(rec, ref, "train_epoch (reduction='mean')")


# The checks below learn with lr=0 or a single batch, so that a slip in the update
# (zero_grad, the order of backward and step) is test_train_epoch_trajectory_mean_loss' alone.

@check(points=2, clause="epoch_metrics")
def test_train_epoch_metrics_mean_loss(student, reference, device, rng):
    """train_epoch returns the reference's (loss per example, accuracy), measured on the batches it trains on."""
    _, got, _, exp, _ = _train_epoch_both(student, reference, device, rng, "mean", lr=0.0, partial=False)
    _same_metrics(got, exp, "reduction='mean'")


@check(points=3, clause="epoch_none")
def test_train_epoch_none_loss(student, reference, device, rng):
    """train_epoch with a reduction='none' loss takes the reference's step (the batch mean's) and returns its metrics."""
    batch = _int(rng, 6, 12)
    _, got, rec, exp, ref = _train_epoch_both(student, reference, device, rng, "none", batch=batch, n=batch)
    _same_trajectory(rec, ref, "train_epoch (reduction='none')")
    _same_metrics(got, exp, "reduction='none'")


@check(points=1, clause="epoch_modes")
def test_train_epoch_modes(student, reference, device, rng):
    """train_epoch runs every forward pass in train mode with gradients on."""
    s, got, rec, exp, _ = _train_epoch_both(student, reference, device, rng, "mean", lr=0.0, partial=False)
    expect.equal(rec["net"]["modes"], [True] * s["batches"], what="net.training at each forward pass")
    expect.equal(rec["net"]["grad_enabled"], [True] * s["batches"],
                 what="torch.is_grad_enabled() at each forward pass")
    # the records are hints from the student's process; the data must agree: on a dropout net the
    # loss of forward passes in train mode is another number
    _same_metrics(got, exp, "a dropout net", only_loss=True)


@check(points=1, clause="epoch_sets_train")
def test_train_epoch_switches_an_eval_net_to_train_mode(student, reference, device, rng):
    """train_epoch puts a net it receives in eval mode back into train mode itself."""
    s, got, rec, exp, _ = _train_epoch_both(student, reference, device, rng, "mean", lr=0.0, partial=False,
                                            training=False)
    expect.equal(rec["net"]["modes"], [True] * s["batches"],
                 what="net.training at each forward pass (net handed over in eval mode)")
    _same_metrics(got, exp, "a dropout net handed over in eval mode", only_loss=True)


# ---------------------------------------------------------------- train

def _train_both(student, reference, device, rng, epochs: int):
    # a net without dropout, full batches and a mean loss: a case every train_epoch and
    # evaluate_accuracy right in their own clauses handles, so a slip there is not charged here too
    s = _setup(rng, device, dropout=0.0, partial=False, test=True)
    args = (s["net"], s["train"], s["test"], specs.loss("cross_entropy", reduction="mean"), epochs,
            specs.sgd("net", lr=0.2, label="updater"))
    got, rec = student.call_recorded("train", *args, _seed=s["seed"])
    exp, ref = reference_call(reference.train, *args, _seed=s["seed"])
    return got, rec, exp, ref


@check(points=3, clause="train_values")
def test_train_history_values(student, reference, device, rng):
    """train's history holds the reference's train loss, train accuracy and test accuracy for every
    epoch, and the parameters end where the reference's do."""
    got, rec, exp, ref = _train_both(student, reference, device, rng, 3)
    expect.true(type(got) is list and len(got) == len(exp), f"train(..., num_epochs={len(exp)}, ...) must return a "
                f"list of {len(exp)} dicts")
    for i, (row, expected) in enumerate(zip(got, exp)):
        expect.true(type(row) is dict, f"history[{i}] must be a dict")
        for key in ("train_loss", "train_acc", "test_acc"):
            expect.close(_number(row.get(key)), expected[key], **METRIC_TOL, what=f"history[{i}][{key!r}]")
    _same_trajectory(rec, ref, "train")
