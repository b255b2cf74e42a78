"""Visible checks for ch5.checkpoints: run them with `pytest exercises/ch5/test_checkpoints.py`.

Files go to a fresh scratch folder (`student.probe("scratch_dir")`), and what your code wrote is
read back with `torch.load(path, weights_only=True)` (`student.probe("read_checkpoint", ...)`).
"""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch5.checkpoints"


def _specs(seed: int = 0) -> list:
    """A 6-8-3 MLP, 40 examples in 5 batches (no shuffling), mean cross-entropy, SGD with momentum 0.9."""
    return [specs.mlp([6, 8, 3], seed=seed), specs.loader(n=40, shape=(6,), classes=3, batch_size=8, seed=1, label="train"),
            specs.loss("cross_entropy"), specs.sgd("net", lr=0.1, momentum=0.9, record_steps=False)]


def _read(student, path: str) -> dict:
    got = student.probe("read_checkpoint", path=path)
    expect.true(got["ok"], f"{path.rsplit('/', 1)[-1]} does not load with torch.load(path, weights_only=True)",
                got.get("error", ""))
    return got["value"]


@check(points=2, clause="round_trip_example")
def test_save_and_load_round_trip(student, device, rng):
    """save_checkpoint writes the four keys; load_checkpoint restores the model and returns (epoch, results)."""
    path = student.probe("scratch_dir") + "/model.pt"
    net, _, _, opt = _specs(seed=3)
    results = {"train_loss": [0.9, 0.5], "train_acc": [0.4, 0.75]}
    student.save_checkpoint(path, net, opt, 2, results)
    ckpt = _read(student, path)
    expect.true(type(ckpt) is dict and set(ckpt) == {"epoch", "model_state_dict", "optimizer_state_dict", "results"},
                "the checkpoint should be a dict with exactly the keys epoch, model_state_dict, "
                "optimizer_state_dict and results", f"got {ckpt!r}"[:500])
    other, _, _, other_opt = _specs(seed=4)
    value, records = student.call_recorded("load_checkpoint", path, other, other_opt)
    expect.equal(value, (2, results), what="load_checkpoint's return value")
    expect.equal(records["net"]["final_state"], ckpt["model_state_dict"], what="the model after load_checkpoint")


@check(points=2, clause="train_example")
def test_train_writes_checkpoints(student, device, rng):
    """Two epochs with every=1 write model.pt, model_epoch1.pt and model_epoch2.pt; results hold 2 floats each."""
    folder = student.probe("scratch_dir")
    results = student.train_with_checkpoints(*_specs(), 2, f"{folder}/model.pt", every=1)
    expect.equal(student.probe("list_dir", path=folder), ["model.pt", "model_epoch1.pt", "model_epoch2.pt"],
                 what="the files written")
    expect.true(type(results) is dict and len(results.get("train_loss", [])) == 2 and len(results.get("train_acc", [])) == 2,
                "results should hold two train_loss and two train_acc values", f"got {results!r}")
    expect.true(all(0.0 <= a <= 1.0 for a in results["train_acc"]), "train_acc values should be fractions in [0, 1]")
    expect.equal(_read(student, f"{folder}/model_epoch1.pt")["epoch"], 1, what="the epoch in model_epoch1.pt")
    expect.equal(_read(student, f"{folder}/model.pt")["epoch"], 2, what="the epoch in model.pt")


@check(points=2, clause="resume_example")
def test_resume_runs_the_rest(student, device, rng):
    """Resuming the epoch-1 copy of a 2-epoch run to 2 epochs runs one epoch and ends like 2 epochs in one go."""
    folder = student.probe("scratch_dir")
    student.train_with_checkpoints(*_specs(), 2, f"{folder}/model.pt", every=1)
    straight = _read(student, f"{folder}/model.pt")
    fresh = _specs(seed=9)
    results, records = student.call_recorded("resume_training", *fresh, f"{folder}/model_epoch1.pt", 2)
    expect.equal(records["train"]["iterations"], 1, what="passes over the loader when resuming from 1 to 2")
    expect.equal(len(results.get("train_loss", [])), 2, what="the number of losses after resuming")
    expect.close(records["net"]["final_state"], straight["model_state_dict"], rtol=1e-4, atol=1e-5,
                 what="the model after resuming, compared with 2 uninterrupted epochs")
