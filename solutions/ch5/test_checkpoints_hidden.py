"""Hidden checks for ch5.checkpoints.

Files live in a scratch folder of the student's process (`probe("scratch_dir")`; in the sandbox
the worker may write only there). What the student's code wrote is read back by trusted probes
with `torch.load(..., weights_only=True)`, and files the student's loaders must read are written
by a probe too, so each function is checked on its own: load_checkpoint and resume_training get
checkpoints made here by the reference (its save_checkpoint captured in memory). Training uses an
engine MLP, a loader of 5 full batches without shuffling and SGD with momentum 0.9, so a run
resumed from a checkpoint must end exactly where an uninterrupted run ends.
"""

from __future__ import annotations

import copy
import inspect
from pathlib import Path
from unittest import mock

import torch

from grader.checks import specs, check, expect
from grader.checks.specs import BuildContext

EXERCISE = "ch5.checkpoints"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "round_trip_example": "save_checkpoint writes the four keys; load_checkpoint of that file restores the model and "
                          "returns (epoch, results)",
    "save_contents": "the saved values are the epoch, the model's and the optimizer's state_dict and the results",
    "save_path": "save_checkpoint writes exactly the file it is given, whatever its suffix, and overwrites it",
    "load_optimizer": "load_checkpoint restores the optimizer's state (momentum buffers, hyper-parameters) when given one",
    "load_model_only": "load_checkpoint(path, model) without an optimizer restores the model and returns (epoch, results) "
                       "of a file it did not write",
    "load_weights_only": "load_checkpoint loads with weights_only=True: a pickled object raises UnpicklingError",
    "load_map_location": "load_checkpoint passes map_location to torch.load: every loaded tensor lands there",
    "load_across_devices": "a checkpoint saved from a model on the GPU loads into a model on the CPU",
    "train_example": "two epochs with every=1 write model.pt, model_epoch1.pt and model_epoch2.pt; the results hold "
                     "two floats per list",
    "train_matches": "train_with_checkpoints trains like the reference: per batch zero_grad, loss_fn(model(X), y), "
                     "backward, step; per epoch the loss per example and the accuracy as floats",
    "train_mode": "training runs in training mode, whatever mode the model comes in (resuming too)",
    "train_file": "after training, the checkpoint at path holds the last epoch (counted from 1), the model, the "
                  "optimizer state and the results",
    "train_every": "with every = k, a copy <stem>_epoch<k><suffix> is saved after the epochs that are multiples of k",
    "train_single_file": "without every, a single file is kept at path",
    "resume_example": "resuming the epoch-1 copy of a 2-epoch run to 2 runs one epoch and ends like 2 epochs in one go",
    "resume_equals": "for any setup a resumed run ends with the same weights and results as an uninterrupted one "
                     "(optimizer state restored)",
    "resume_saving": "resume_training keeps checkpointing: path ends at total_epochs, every adds its copies",
    "resume_nothing_left": "resuming a checkpoint that already has total_epochs runs nothing and returns the saved results",
}

KEYS = {"epoch", "model_state_dict", "optimizer_state_dict", "results"}
# A few epochs of SGD with momentum amplify rounding differences between summation orders.
TRAIN_TOL = {"rtol": 1e-4, "atol": 1e-5}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


class Setup:
    """One training problem: specs for the student and the same objects built here."""

    def __init__(self, rng: torch.Generator, net_seed: int | None = None, device: str | None = None) -> None:
        self.d_in, self.hidden, self.classes = _int(rng, 4, 7), _int(rng, 5, 8), _int(rng, 2, 4)
        self.net_seed = _int(rng, 0, 9999) if net_seed is None else net_seed
        self.data_seed = _int(rng, 0, 9999)
        self.lr = 0.05 + 0.1 * float(torch.rand(1, generator=rng))
        self.device = device

    def net(self, seed: int | None = None, training: bool = True):
        return specs.mlp([self.d_in, self.hidden, self.classes], seed=self.net_seed if seed is None else seed,
                         label="net", device=self.device, training=training)

    def specs(self, seed: int | None = None, record_state: bool = False, training: bool = True,
              batches: int = 5) -> list:
        """model, loader (8 examples a batch, 5 full batches unless told), mean cross-entropy, SGD with
        momentum 0.9 (counting its steps instead of recording a snapshot after each: cheaper to send back)."""
        return [self.net(seed, training),
                specs.loader(n=8 * batches, shape=(self.d_in,), classes=self.classes, batch_size=8,
                             seed=self.data_seed, label="train", device=self.device),
                specs.loss("cross_entropy", reduction="mean"),
                specs.sgd("net", lr=self.lr, momentum=0.9, record_state=record_state, record_steps=False)]

    def local(self, seed: int | None = None) -> list:
        ctx = BuildContext()
        return [ctx.make(s) for s in self.specs(seed)]


_REFERENCE_RUNS: dict[tuple, tuple[dict, dict[str, dict]]] = {}


def _reference_run(reference, setup: Setup, epochs: int, every: int | None = None,
                   seed: int | None = None) -> tuple[dict, dict[str, dict]]:
    """The reference's results and the checkpoints it saved, by file name (a fresh copy of
    what this judge computed for the same setup: a check's rng gives every student the same)."""
    key = (id(reference), tuple(sorted((k, str(v)) for k, v in vars(setup).items())), epochs, every, seed)
    if key not in _REFERENCE_RUNS:
        _REFERENCE_RUNS[key] = _run_reference(reference, setup, epochs, every, seed)
    return copy.deepcopy(_REFERENCE_RUNS[key])


def _run_reference(reference, setup: Setup, epochs: int, every: int | None,
                   seed: int | None) -> tuple[dict, dict[str, dict]]:
    """The reference's save_checkpoint is replaced by an in-memory copy for the run (no disk,
    no unpickling)."""
    model, loader, loss, opt = setup.local(seed)
    files: dict[str, dict] = {}

    def capture(path, model, optimizer, epoch, results):
        opt_state = optimizer.state_dict()
        files[Path(path).name] = {
            "epoch": epoch,
            "model_state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "optimizer_state_dict": {
                "state": {i: {k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in st.items()}
                          for i, st in opt_state["state"].items()},
                "param_groups": copy.deepcopy(opt_state["param_groups"])},
            "results": copy.deepcopy(results)}
    train = reference.train_with_checkpoints
    # Patch the name where the reference's training loop looks it up (its own module's globals),
    # so a wrapped reference function (a timing proxy) still saves into memory.
    with mock.patch.dict(inspect.unwrap(train).__globals__, {"save_checkpoint": capture}):
        results = train(model, loader, loss, opt, epochs, "ref/model.pt", every)
    return results, files


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if type(value) is list:
        return [_plain(v) for v in value]
    return value


def _read(student, path: str, what: str) -> dict:
    got = student.probe("read_checkpoint", path=path)
    expect.true(got["ok"], f"{what} does not load with torch.load(path, weights_only=True) "
                "(only tensors and plain Python data: no np.float64, no whole modules)", got.get("error", ""))
    ckpt = got["value"]
    expect.true(type(ckpt) is dict, f"{what} holds a {type(ckpt).__name__}, expected a dict")
    expect.true(set(ckpt) == KEYS, f"{what} has the keys {sorted(map(str, ckpt))}, expected exactly {sorted(KEYS)}")
    return ckpt


def _folder(student) -> str:
    return student.probe("scratch_dir")


def _results(rng: torch.Generator, n: int) -> dict:
    return {"train_loss": [round(float(v), 6) for v in torch.rand(n, generator=rng) * 2],
            "train_acc": [round(float(v), 6) for v in torch.rand(n, generator=rng)]}


# ---------------------------------------------------------------- save_checkpoint

@check(points=3, clause="save_contents")
def test_save_contents(student, reference, device, rng):
    """save_checkpoint writes a dict with exactly epoch, model_state_dict, optimizer_state_dict, results."""
    setup = Setup(rng)
    model, _, _, opt = setup.local()
    epoch, results = _int(rng, 1, 30), _results(rng, 3)
    path = f"{_folder(student)}/model.pt"
    specs = setup.specs()
    student.save_checkpoint(path, specs[0], specs[3], epoch, results)
    ckpt = _read(student, path, "the file written by save_checkpoint")
    expect.equal(ckpt["epoch"], epoch, what="the saved epoch")
    expect.equal(ckpt["model_state_dict"], _plain(model.state_dict()), what="the saved model_state_dict")
    expect.equal(ckpt["optimizer_state_dict"], _plain(opt.state_dict()), what="the saved optimizer_state_dict")
    expect.equal(ckpt["results"], results, what="the saved results")


@check(points=1, clause="save_path")
def test_save_uses_the_path(student, reference, device, rng):
    """save_checkpoint writes exactly the file it is given, whatever its suffix, and overwrites it."""
    setup = Setup(rng)
    folder = _folder(student)
    specs = setup.specs()
    for epoch in (1, 2):
        student.save_checkpoint(f"{folder}/run.ckpt", specs[0], specs[3], epoch, _results(rng, epoch))
    expect.equal(student.probe("list_dir", path=folder), ["run.ckpt"], what="the files in the folder")
    expect.equal(_read(student, f"{folder}/run.ckpt", "run.ckpt")["epoch"], 2, what="the epoch after saving twice")


# ---------------------------------------------------------------- load_checkpoint

def _trained_checkpoint(reference, setup: Setup, rng: torch.Generator) -> dict:
    """A checkpoint in the contract's format after one SGD step made here (momentum buffers
    filled), so the load checks need no training run."""
    model, loader, loss, opt = setup.local()
    X, y = next(iter(loader))
    opt.zero_grad()
    loss(model(X), y).backward()
    opt.step()
    opt_state = opt.state_dict()
    return {"epoch": 1,
            "model_state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "optimizer_state_dict": {
                "state": {i: {k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in st.items()}
                          for i, st in opt_state["state"].items()},
                "param_groups": copy.deepcopy(opt_state["param_groups"])},
            "results": _results(rng, 1)}


@check(points=2, clause="load_optimizer")
def test_load_optimizer_state(student, reference, device, rng):
    """load_checkpoint restores the optimizer's state: momentum buffers and hyper-parameters."""
    setup = Setup(rng)
    ckpt = _trained_checkpoint(reference, setup, rng)
    path = f"{_folder(student)}/saved.pt"
    student.probe("write_checkpoint", path=path, content=ckpt)
    specs = setup.specs(seed=setup.net_seed + 1, record_state=True)
    _, records = student.call_recorded("load_checkpoint", path, specs[0], specs[3])
    state = records["updater"]["state_dict"]
    expect.true(len(state.get("state", {})) == len(ckpt["optimizer_state_dict"]["state"]),
                "the optimizer has no momentum buffers after load_checkpoint: restore optimizer_state_dict too")
    expect.equal(state, ckpt["optimizer_state_dict"], what="the optimizer's state after loading")


@check(points=1, clause="load_model_only")
def test_load_without_optimizer(student, reference, device, rng):
    """load_checkpoint(path, model) without an optimizer restores the model only."""
    setup = Setup(rng)
    ckpt = _trained_checkpoint(reference, setup, rng)
    path = f"{_folder(student)}/saved.pt"
    student.probe("write_checkpoint", path=path, content=ckpt)
    value, records = student.call_recorded("load_checkpoint", path, setup.net(seed=setup.net_seed + 2))
    expect.equal(value, (ckpt["epoch"], ckpt["results"]), what="load_checkpoint(path, model)")
    expect.equal(records["net"]["final_state"], ckpt["model_state_dict"], what="the model's state after loading")


@check(points=2, clause="load_weights_only")
def test_load_refuses_pickled_objects(student, reference, device, rng):
    """load_checkpoint loads with weights_only=True: a file holding a pickled object raises UnpicklingError."""
    setup = Setup(rng)
    ckpt = _trained_checkpoint(reference, setup, rng)
    path = f"{_folder(student)}/unsafe.pt"
    student.probe("write_checkpoint", path=path, content=ckpt, unsafe=True)
    specs = setup.specs(seed=setup.net_seed + 1)
    with expect.raises("UnpicklingError", what="load_checkpoint of a file holding a pickled object"):
        student.load_checkpoint(path, specs[0], specs[3])


@check(points=1, clause="load_map_location")
def test_load_map_location(student, reference, device, rng):
    """load_checkpoint passes map_location to torch.load: with map_location="meta" every loaded tensor lands there (no GPU needed)."""
    setup = Setup(rng)
    ckpt = _trained_checkpoint(reference, setup, rng)
    ckpt["results"]["confusion"] = torch.eye(setup.classes)
    path = f"{_folder(student)}/saved.pt"
    student.probe("write_checkpoint", path=path, content=ckpt)
    setup.device = "meta"   # the same network, built on the meta device
    value = student.load_checkpoint(path, setup.net(seed=setup.net_seed + 1), map_location="meta")
    expect.true(type(value) in (tuple, list) and len(value) == 2 and type(value[1]) is dict,
                "load_checkpoint should return (epoch, results)")
    confusion = value[1].get("confusion")
    expect.true(isinstance(confusion, torch.Tensor) and confusion.device.type == "meta",
                f"a tensor in the results is on {getattr(confusion, 'device', None)} after load_checkpoint(..., "
                "map_location='meta'): pass map_location to torch.load")


@check(points=1, gpu=True, clause="load_across_devices")
def test_load_cuda_checkpoint_on_cpu(student, reference, device, rng):
    """A checkpoint saved from a model on the GPU loads onto the CPU with map_location="cpu"."""
    cuda = Setup(rng, device="cuda")
    folder = _folder(student)
    path = f"{folder}/gpu.pt"
    specs = cuda.specs()
    results = dict(_results(rng, 2), confusion=torch.eye(cuda.classes, device="cuda"))
    _, saved = student.call_recorded("save_checkpoint", path, specs[0], specs[3], 2, results)
    on_gpu = saved["net"]["final_state"]
    expect.true(all(t.device.type == "cuda" for t in on_gpu.values()), "internal: the model was not built on cuda")
    cpu = Setup(rng)
    cpu.d_in, cpu.hidden, cpu.classes = cuda.d_in, cuda.hidden, cuda.classes
    cpu_specs = cpu.specs(seed=cuda.net_seed + 1)
    value, records = student.call_recorded("load_checkpoint", path, cpu_specs[0], cpu_specs[3], map_location="cpu")
    expect.true(type(value) is tuple and len(value) == 2, "load_checkpoint should return (epoch, results)")
    expect.equal(records["net"]["final_state"], {k: v.cpu() for k, v in on_gpu.items()},
                 what="the CPU model's state after loading the GPU checkpoint")


# ---------------------------------------------------------------- train_with_checkpoints

@check(points=3, clause="train_matches")
def test_train_matches_reference(student, reference, device, rng):
    """train_with_checkpoints trains like the reference: same results (loss, accuracy) and final weights."""
    setup = Setup(rng)
    epochs = 2
    path = f"{_folder(student)}/model.pt"
    value, records = student.call_recorded("train_with_checkpoints", *setup.specs(), epochs, path)
    ref_results, files = _reference_run(reference, setup, epochs)
    expect.close(value, ref_results, **TRAIN_TOL, what="the results returned by train_with_checkpoints")
    expect.close(records["net"]["final_state"], files["model.pt"]["model_state_dict"], **TRAIN_TOL,
                 what="the model after train_with_checkpoints")
    expect.equal(records["train"]["iterations"], epochs, what="the number of passes over the loader")


@check(points=1, clause="train_mode")
def test_train_mode(student, reference, device, rng):
    """Training and resuming run in training mode even when the model comes in eval mode."""
    setup = Setup(rng)
    folder = _folder(student)
    # one batch an epoch is enough to see the mode
    _, records = student.call_recorded("train_with_checkpoints", *setup.specs(training=False, batches=1), 1,
                                       f"{folder}/model.pt")
    modes = records["net"]["modes"]
    expect.true(modes and all(modes), f"train_with_checkpoints ran {modes.count(False)} of {len(modes)} forward "
                "passes in eval mode (the model came in eval mode): call model.train()")
    _, records = student.call_recorded("resume_training", *setup.specs(training=False, batches=1), f"{folder}/model.pt", 2)
    modes = records["net"]["modes"]
    expect.true(modes and all(modes), f"resume_training ran {modes.count(False)} of {len(modes)} forward "
                "passes in eval mode (the model came in eval mode): call model.train()")


@check(points=2, clause="train_file")
def test_train_checkpoint_file(student, reference, device, rng):
    """After training, the checkpoint at path holds the last epoch, the model, the optimizer state and the results."""
    setup = Setup(rng)
    epochs = 1
    path = f"{_folder(student)}/model.pt"
    value = student.train_with_checkpoints(*setup.specs(), epochs, path)
    ckpt = _read(student, path, "the checkpoint written by train_with_checkpoints")
    _, files = _reference_run(reference, setup, epochs)
    expected = files["model.pt"]
    expect.equal(ckpt["epoch"], epochs, what=f"the epoch saved after {epochs} epochs (counted from 1)")
    expect.close(ckpt["model_state_dict"], expected["model_state_dict"], **TRAIN_TOL, what="the saved model_state_dict")
    expect.close(ckpt["optimizer_state_dict"], expected["optimizer_state_dict"], **TRAIN_TOL,
                 what="the saved optimizer_state_dict (momentum buffers)")
    expect.close(ckpt["results"], value, what="the saved results (should equal the returned results)")


@check(points=2, clause="train_every")
def test_train_every(student, reference, device, rng):
    """With every=2 over 2 epochs, model_epoch2.pt (and no copy after epoch 1) holds the state after epoch 2."""
    setup = Setup(rng)
    folder = _folder(student)
    student.train_with_checkpoints(*setup.specs(), 2, f"{folder}/model.pt", every=2)
    names = student.probe("list_dir", path=folder)
    expect.equal(names, ["model.pt", "model_epoch2.pt"], what="the files written with every=2 over 2 epochs")
    _, files = _reference_run(reference, setup, 2, every=2)
    for name, epoch in (("model_epoch2.pt", 2),):
        ckpt = _read(student, f"{folder}/{name}", name)
        expect.equal(ckpt["epoch"], epoch, what=f"the epoch in {name}")
        expect.close(ckpt["model_state_dict"], files[name]["model_state_dict"], **TRAIN_TOL,
                     what=f"the model in {name}")
        expect.equal(len(ckpt["results"].get("train_loss", [])), epoch, what=f"the number of losses in {name}'s results")


@check(points=1, clause="train_single_file")
def test_train_no_extra_files(student, reference, device, rng):
    """Without every, train_with_checkpoints keeps a single file at path."""
    setup = Setup(rng)
    folder = _folder(student)
    student.train_with_checkpoints(*setup.specs(), 1, f"{folder}/last.pt")
    expect.equal(student.probe("list_dir", path=folder), ["last.pt"], what="the files written without every")


# ---------------------------------------------------------------- resume_training

def _resume(student, reference, rng, done: int, total: int, every: int | None = None):
    """The reference's checkpoint after `done` epochs, resumed by the student to `total` epochs
    with a freshly built (differently initialised) model and a fresh optimizer. Also returns the
    reference's uninterrupted run to `total` epochs (one run with a copy every epoch gives both)."""
    setup = Setup(rng)
    full, files = _reference_run(reference, setup, max(done, total), every=1)
    saved = files[f"model_epoch{done}.pt"]
    folder = _folder(student)
    path = f"{folder}/model.pt"
    student.probe("write_checkpoint", path=path, content=saved)
    specs = setup.specs(seed=setup.net_seed + 17)
    value, records = student.call_recorded("resume_training", *specs, path, total, every)
    return (full, files[f"model_epoch{total}.pt"]), saved, folder, value, records


@check(points=3, clause="resume_equals")
def test_resume_equals_uninterrupted(student, reference, device, rng):
    """1 epoch, a checkpoint, then resume_training to 2 ends exactly like 2 epochs in one go (momentum 0.9)."""
    (full, last), _, _, value, records = _resume(student, reference, rng, 1, 2)
    expect.close(records["net"]["final_state"], last["model_state_dict"], **TRAIN_TOL,
                 what="the model after resuming from epoch 1 to 2 (compared with 2 uninterrupted epochs; "
                      "is the optimizer state restored?)")
    expect.close(value, full, **TRAIN_TOL, what="the results after resuming (both epochs)")


@check(points=1, clause="resume_saving")
def test_resume_keeps_saving(student, reference, device, rng):
    """resume_training keeps checkpointing: path ends at total_epochs, and every=2 adds model_epoch2.pt."""
    _, _, folder, _, _ = _resume(student, reference, rng, 1, 2, every=2)
    expect.equal(student.probe("list_dir", path=folder), ["model.pt", "model_epoch2.pt"],
                 what="the files after resuming from 1 to 2 epochs with every=2")
    ckpt = _read(student, f"{folder}/model.pt", "the checkpoint after resuming")
    expect.equal(ckpt["epoch"], 2, what="the epoch saved after resuming to 2")
    expect.equal(len(ckpt["results"].get("train_loss", [])), 2, what="the number of losses saved after resuming to 2")


@check(points=1, clause="resume_nothing_left")
def test_resume_nothing_left(student, reference, device, rng):
    """Resuming a checkpoint that already has total_epochs runs nothing and returns the saved results."""
    _, saved, _, value, records = _resume(student, reference, rng, 1, 1)
    expect.equal(records["train"]["iterations"], 0, what="the passes over the loader")
    expect.close(value, saved["results"], what="the results returned")
    expect.equal(records["net"]["final_state"], saved["model_state_dict"], what="the model (the loaded one)")
