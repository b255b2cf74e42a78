"""Hidden checks for ch6.training_gpu: the student's loops against the reference on the same builds.

Models and loaders are built on the CPU and handed over with the check's `device`, so on a GPU
machine the student's code must move the network and every batch itself (on the CPU a forgotten
move goes unnoticed; those variants are GPU-only). train_ch6 is called with the same `_seed` on
both sides: Xavier init draws from the global generator, so the initial weights, the dropout
masks and hence the whole trajectory must agree with the reference.
"""

from __future__ import annotations

import math
import time

import torch

from grader.checks import specs, check, expect, reference_call

EXERCISE = "ch6.training_gpu"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "eval_example": "evaluate_accuracy_gpu runs in eval mode without gradients, over each batch once, leaves the "
                    "weights, and returns a Python float in [0, 1]",
    "eval_weights_example": "evaluate_accuracy_gpu weights every batch by its size",
    "train_example": "train_ch6 returns four finite Python floats and trains every epoch in train mode with "
                     "gradients on the device, evaluating the test set after each epoch",
    "xavier_example": "train_ch6 re-initialises Linear/Conv2d weights within the Xavier-uniform bounds and leaves the "
                      "biases alone",
    "eval_value": "evaluate_accuracy_gpu gives the reference's accuracy over all examples, a partial last batch included",
    "eval_default_device": "device=None means the device of net's parameters",
    "eval_moves_batches": "evaluate_accuracy_gpu moves every batch to device",
    "xavier_exact": "train_ch6 draws exactly the reference's Xavier-uniform weights: net.apply on the Linear and Conv2d "
                    "weights, before moving the net",
    "trajectory": "train_ch6 follows the reference: SGD(lr) over net.parameters(), mean cross-entropy, every batch "
                  "once per epoch, ending with the same parameters",
    "metrics": "train_loss, train_acc are the last epoch's loss per example and accuracy, test_acc the accuracy "
               "after the last epoch",
    "throughput": "examples_per_sec is the training examples of all epochs over the seconds of the training passes",
    "moves_net_and_batches": "train_ch6 moves the net and every training batch to device",
}

KEYS = {"train_loss", "train_acc", "test_acc", "examples_per_sec"}
# Python floats summed in another order (floats vs tensors) move the last digits.
METRIC_TOL = {"rtol": 1e-5, "atol": 1e-6}
# Parameters after a few epochs of SGD; cuDNN may pick other algorithms on either side.
PARAM_TOL = {"rtol": 1e-4, "atol": 1e-5}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _setup(rng: torch.Generator, *, dropout: float = 0.0, net_device: str | None = None) -> dict:
    """A tiny CNN, and train (>= 5 batches) / test (2 batches) loaders whose last batches are
    partial, sizes from rng."""
    size, classes, batch = 2 * _int(rng, 3, 5), _int(rng, 3, 5), _int(rng, 4, 8)
    channels = _int(rng, 1, 2)
    # at least 5 training batches: ordinary progress code divides by num_batches // 5
    n_train = batch * _int(rng, 5, 6) + _int(rng, 1, batch - 1)
    n_test = batch + _int(rng, 1, batch - 1)
    shape = (channels, size, size)
    return {
        "net": specs.cnn(in_channels=channels, size=size, classes=classes, channels=_int(rng, 3, 6),
                         dropout=dropout, seed=_int(rng, 0, 10_000), label="net", device=net_device),
        "train": specs.loader(n=n_train, shape=shape, classes=classes, batch_size=batch,
                              seed=_int(rng, 0, 10_000), label="train"),
        "test": specs.loader(n=n_test, shape=shape, classes=classes, batch_size=batch,
                             seed=_int(rng, 0, 10_000), label="test"),
        "seed": _int(rng, 0, 10_000),
        "train_batches": -(-n_train // batch),
        "n_train": n_train,
        "test_batches": 2,
    }


# ---------------------------------------------------------------- evaluate_accuracy_gpu

@check(points=2, clause="eval_value")
def test_evaluate_accuracy_gpu_matches_reference(student, reference, device, rng):
    """evaluate_accuracy_gpu(net, data, device) matches the reference on a partial last batch."""
    s = _setup(rng, dropout=0.5, net_device=str(device))
    got = student.evaluate_accuracy_gpu(s["net"], s["test"], device, _seed=s["seed"])
    exp, _ = reference_call(reference.evaluate_accuracy_gpu, s["net"], s["test"], device, _seed=s["seed"])
    expect.close(got, exp, **METRIC_TOL, what="evaluate_accuracy_gpu")


@check(points=2, clause="eval_default_device")
def test_evaluate_accuracy_gpu_default_device(student, reference, device, rng):
    """evaluate_accuracy_gpu without a device uses the device of the net's parameters."""
    s = _setup(rng, net_device=str(device))
    got = student.call("evaluate_accuracy_gpu", s["net"], s["train"])
    exp, _ = reference_call(reference.evaluate_accuracy_gpu, s["net"], s["train"])
    expect.close(got, exp, **METRIC_TOL, what="evaluate_accuracy_gpu with device=None")
    # the net's device, not the CPU: a net on "meta" shows it on any grading machine
    m = _setup(rng, net_device="meta")
    expect.runs_on_meta_device(lambda: student.evaluate_accuracy_gpu(m["net"], m["test"]),
                               "evaluate_accuracy_gpu(net, data_iter) with the net on 'meta' and no device")


@check(points=1, clause="eval_moves_batches")
def test_evaluate_accuracy_gpu_moves_batches(student, rng):
    """evaluate_accuracy_gpu moves every batch to `device` (checked on PyTorch's "meta" device, so on any grading machine)."""
    s = _setup(rng, net_device="meta")
    expect.runs_on_meta_device(lambda: student.evaluate_accuracy_gpu(s["net"], s["test"], "meta"),
                               "evaluate_accuracy_gpu(net, data_iter, device) with net and device 'meta'")


# ---------------------------------------------------------------- train_ch6

def _train_both(student, reference, device, rng, *, dropout: float, epochs: int):
    s = _setup(rng, dropout=dropout)
    lr = [0.05, 0.1, 0.2][_int(rng, 0, 2)]
    args = (s["net"], s["train"], s["test"], epochs, lr, device)
    got, rec = student.call_recorded("train_ch6", *args, _seed=s["seed"])
    exp, ref = reference_call(reference.train_ch6, *args, _seed=s["seed"])
    return s, got, rec, exp, ref


def _as_result(value: object) -> dict:
    expect.true(type(value) is dict and set(value) == KEYS,
                f"train_ch6 must return a dict with exactly the keys {sorted(KEYS)}")
    return value


@check(points=2, clause="xavier_exact")
def test_train_ch6_xavier_initial_weights(student, reference, device, rng):
    """train_ch6 starts training from the reference's Xavier-uniform weights (biases untouched)."""
    _, _, rec, _, ref = _train_both(student, reference, device, rng, dropout=0.0, epochs=1)
    expect.close(rec["net"]["initial_state"], ref["net"]["initial_state"],
                 what="parameters at the first forward pass (after initialisation)")


@check(points=3, clause="trajectory")
def test_train_ch6_trajectory(student, reference, device, rng):
    """train_ch6 with dropout ends with the same parameters as the reference after several epochs."""
    _, _, rec, _, ref = _train_both(student, reference, device, rng, dropout=0.3, epochs=2)
    expect.equal(rec["train"]["batches"], ref["train"]["batches"], what="training batches drawn")
    expect.equal(rec["net"]["device"], ref["net"]["device"], what="device of the parameters during training")
    expect.close(rec["net"]["final_state"], ref["net"]["final_state"], **PARAM_TOL,
                 what="parameters after training")


@check(points=3, clause="metrics")
def test_train_ch6_metrics(student, reference, device, rng):
    """train_ch6 returns the reference's last-epoch loss per example, train and test accuracy."""
    _, got, _, exp, _ = _train_both(student, reference, device, rng, dropout=0.0, epochs=2)
    got = _as_result(got)
    for key in ("train_loss", "train_acc", "test_acc"):
        expect.close(got[key], exp[key], **METRIC_TOL, what=f"train_ch6's {key!r}")


@check(points=1, clause="throughput")
def test_train_ch6_throughput(student, reference, device, rng):
    """examples_per_sec counts the training examples of every epoch over the seconds of the training passes."""
    s = _setup(rng)
    epochs = 2
    start = time.perf_counter()
    got = _as_result(student.train_ch6(s["net"], s["train"], s["test"], epochs, 0.1, device, _seed=s["seed"]))
    call_seconds = time.perf_counter() - start
    rate = got["examples_per_sec"]
    expect.true(type(rate) is float and math.isfinite(rate) and rate > 0,
                f"examples_per_sec must be a positive, finite float, got {rate!r}")
    # The training passes run inside the call, so they took less time than the whole call: the rate
    # can be no lower than all the training examples over the call's duration (a clock read the
    # wrong way round, a product instead of a quotient, one epoch's examples over all epochs' time).
    examples = epochs * s["n_train"]
    floor = 0.9 * examples / call_seconds
    expect.true(rate >= floor, f"examples_per_sec is {rate:.4g}, but {examples} training examples "
                f"({epochs} epochs) ran within {call_seconds:.3g} s, so at least {floor:.4g} examples/sec: "
                "divide the examples of all epochs by the seconds the training passes took")
    # Far above anything a tiny CNN reaches even on a GPU: a rate that counts no time at all.
    expect.true(rate < 1e9, f"examples_per_sec is {rate:.3g}: the timer cannot have measured the training")


@check(points=1, clause="moves_net_and_batches")
def test_train_ch6_moves_net_and_batches(student, rng):
    """train_ch6 moves the net and every training batch to `device` (checked on PyTorch's "meta" device, so on any grading machine)."""
    s = _setup(rng)
    expect.runs_on_meta_device(lambda: student.train_ch6(s["net"], s["train"], s["test"], 1, 0.1, "meta"),
                               "train_ch6(net, train_iter, test_iter, 1, 0.1, device='meta')")
