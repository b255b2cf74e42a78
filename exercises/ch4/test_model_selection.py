"""Visible checks for ch4.model_selection: run them with `pytest exercises/ch4`."""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch4.model_selection"


@check(points=2)
def test_split_sizes_and_partition(student, device, rng):
    """train_val_indices(10, 3) gives 7 + 3 long indices that together are 0..9."""
    train, val = student.train_val_indices(10, 3, generator=specs.generator(0))
    expect.dtype(train, torch.long, "train")
    expect.shape(train, (7,), "train")
    expect.shape(val, (3,), "val")
    expect.equal(torch.cat([train, val]).sort().values, torch.arange(10), what="train and val together, sorted")
    with expect.raises(ValueError, what="train_val_indices(10, 0)"):
        student.train_val_indices(10, 0)
    with expect.raises(ValueError, what="train_val_indices(10, 10)"):
        student.train_val_indices(10, 10)


@check(points=2)
def test_early_stopping_worked_example(student, device, rng):
    """The text's example: scores 0.6, 0.7, 0.7, 0.65 with patience 2 stop after epoch 4; best is epoch 2."""
    model = student.make(specs.mlp([3, 4, 2], seed=0, label="model"))
    stopper = student.instance("EarlyStopping", 2)
    answers = [stopper.call_method("step", score, model) for score in (0.6, 0.7, 0.7, 0.65)]
    expect.equal(answers, [False, False, False, True], what="step's answers")
    expect.equal(stopper.attr("best_epoch"), 2, what="best_epoch")
    expect.close(stopper.attr("best_score"), 0.7, what="best_score")


@check(points=1)
def test_best_state_is_a_copy(student, device, rng):
    """best_state keeps the weights of the best epoch after the model's weights change."""
    model = student.make(specs.mlp([3, 4, 2], seed=1, label="model"))
    stopper = student.instance("EarlyStopping", 3)
    before = model.state_dict()
    stopper.call_method("step", 0.9, model)
    model.load_state_dict({k: torch.zeros_like(v) for k, v in before.items()})
    stopper.call_method("step", 0.1, model)
    expect.close(stopper.attr_as_dict("best_state"), before, what="best_state (should still hold the first weights)")


@check(points=2)
def test_fit_restores_the_best_epoch(student, device, rng):
    """fit_early_stopping (patience 1) returns its summary and leaves the weights of the best epoch in the model."""
    args = (specs.mlp([5, 6, 3], seed=2, label="net"),
            specs.loader(n=18, shape=(5,), classes=3, batch_size=4, seed=3, label="train"),
            specs.loader(n=18, shape=(5,), classes=3, batch_size=18, seed=3, label="val"),
            specs.loss("cross_entropy"), specs.sgd("net", lr=0.1, label="updater"), 6, 1)
    got, records = student.call_recorded("fit_early_stopping", *args, _seed=0)
    expect.true(type(got) is dict and set(got) == {"best_epoch", "best_val_acc", "epochs_run"},
                "fit_early_stopping must return a dict with keys best_epoch, best_val_acc, epochs_run",
                f"got {got!r}")
    epochs, best = got["epochs_run"], got["best_epoch"]
    expect.true(1 <= best <= epochs <= 6, f"expected 1 <= best_epoch <= epochs_run <= 6, got {best} and {epochs}")
    steps = records["updater"]["steps"]
    expect.equal(len(steps), 5 * epochs, what="optimizer steps (5 minibatches per epoch)")
    expect.close(records["net"]["final_state"], steps[5 * best - 1],
                 what=f"the model's weights at the end (those after epoch {best})")
