"""Visible checks for ch4.model_selection: run them with `pytest exercises/ch4`."""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch4.model_selection"


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


@check(points=2, clause="split_partition")
def test_split_sizes_and_partition(student, device, rng):
    """train_val_indices(10, 3) gives 7 + 3 long indices that together are 0..9; so do other sizes."""
    cases = [(10, 3), (2, 1), (_int(rng, 10, 30), _int(rng, 2, 9)), (_int(rng, 12, 20), 11)]
    for i, (n, val_size) in enumerate(cases):
        for kwargs in ({"generator": specs.generator(i)}, {"_seed": i}):
            what = f"train_val_indices({n}, {val_size}{', generator=...' if 'generator' in kwargs else ''})"
            got = student.train_val_indices(n, val_size, **kwargs)
            expect.true(type(got) in (tuple, list) and len(got) == 2, f"{what} must return the pair (train, val)")
            train, val = got
            for t, size, name in ((train, n - val_size, "train"), (val, val_size, "val")):
                expect.dtype(t, torch.long, f"{what}: {name}")
                expect.shape(t, (size,), f"{what}: {name}")
            expect.equal(torch.cat([train, val]).sort().values, torch.arange(n),
                         what=f"{what}: train and val together, sorted")


@check(points=1, clause="split_value_error")
def test_split_invalid_sizes_raise(student, device, rng):
    """val_size outside 1..n-1 raises ValueError (0, n, more than n, negative)."""
    n = _int(rng, 4, 12)
    for args in ((10, 0), (10, 10), (n, 0), (n, n), (n, n + 3), (n, -1)):
        with expect.raises(ValueError, what=f"train_val_indices{args}"):
            student.train_val_indices(*args)


@check(points=2, clause="es_example")
def test_early_stopping_worked_example(student, device, rng):
    """The text's example: scores 0.6, 0.7, 0.7, 0.65 with patience 2 stop after epoch 4; best is epoch 2."""
    model = student.make(specs.mlp([3, 4, 2], seed=0, label="model"))
    stopper = student.instance("EarlyStopping", 2)
    answers = [stopper.call_method("step", score, model) for score in (0.6, 0.7, 0.7, 0.65)]
    expect.equal(answers, [False, False, False, True], what="step's answers")
    expect.equal(stopper.attr("best_epoch"), 2, what="best_epoch")
    expect.close(stopper.attr("best_score"), 0.7, what="best_score")


@check(points=3, clause="es_copy")
def test_best_state_is_a_copy(student, device, rng):
    """best_state keeps the weights of the best epoch after the model's weights change (a copy, not the live tensors)."""
    model = student.make(specs.mlp([3, 4, 2], seed=_int(rng, 0, 9999), label="model"))
    stopper = student.instance("EarlyStopping", 5)
    first = model.state_dict()
    stopper.call_method("step", 0.6, model)
    changed = {k: torch.randn(v.shape, generator=rng).to(v.dtype) for k, v in first.items()}
    model.load_state_dict(changed)      # copies into the very same parameter tensors
    stopper.call_method("step", 0.5, model)
    saved = stopper.attr_as_dict("best_state")
    expect.true(type(saved) is dict, f"best_state is a {type(saved).__name__}, expected a state dict")
    expect.equal(sorted(saved), sorted(first), what="best_state's keys")
    expect.close(saved, first, what="best_state after the model's weights changed (it must be a copy)")
    stopper.call_method("step", 0.7, model)
    expect.close(stopper.attr_as_dict("best_state"), changed, what="best_state after a later improvement")
    model.load_state_dict(first)
    expect.close(stopper.attr_as_dict("best_state"), changed, what="best_state after the model changed again")


@check(points=2, clause="fit_form")
def test_fit_summary(student, device, rng):
    """fit_early_stopping (patience 1) returns {best_epoch: int, best_val_acc: float, epochs_run: int}
    with 1 <= best_epoch <= epochs_run <= max_epochs, after one optimizer step per minibatch."""
    args = (specs.mlp([5, 6, 3], seed=2, label="net"),
            specs.loader(n=18, shape=(5,), classes=3, batch_size=4, seed=3, label="train"),
            specs.loader(n=18, shape=(5,), classes=3, batch_size=18, seed=3, label="val"),
            specs.loss("cross_entropy"), specs.sgd("net", lr=0.1, label="updater", record_steps=False), 6, 1)
    got, records = student.call_recorded("fit_early_stopping", *args, _seed=0)
    expect.true(type(got) is dict and set(got) == {"best_epoch", "best_val_acc", "epochs_run"},
                "fit_early_stopping must return a dict with keys best_epoch, best_val_acc, epochs_run",
                f"got {got!r}")
    for key, typ in (("best_epoch", int), ("best_val_acc", float), ("epochs_run", int)):
        expect.true(type(got[key]) is typ, f"{key} must be a Python {typ.__name__}, got {type(got[key]).__name__}")
    epochs, best = got["epochs_run"], got["best_epoch"]
    expect.true(1 <= best <= epochs <= 6, f"expected 1 <= best_epoch <= epochs_run <= 6, got {best} and {epochs}")
    expect.equal(records["updater"]["step_count"], 5 * epochs, what="optimizer steps (5 minibatches per epoch)")
