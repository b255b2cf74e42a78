"""Hidden checks for ch4.model_selection.

EarlyStopping is not an nn.Module: checks reach an instance through `student.instance` and hand
it a model built next to the student's code with `student.make`, so that the same model can be
changed between two `step` calls (that is how a saved reference instead of a copy shows). The
judge runs the reference class on its own copy of the same built model.
"""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect
from grader.checks.specs import BuildContext

EXERCISE = "ch4.model_selection"

METRIC_TOL = {"rtol": 1e-5, "atol": 1e-6}
PARAM_TOL = {"rtol": 1e-4, "atol": 1e-5}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


# ---------------------------------------------------------------- train_val_indices

def _expect_split(got: object, n: int, val_size: int, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    expect.true(type(got) in (tuple, list) and len(got) == 2, f"{what} must return the pair (train, val)")
    train, val = expect.tensor(got[0], f"{what}: train"), expect.tensor(got[1], f"{what}: val")
    for t, size, name in ((train, n - val_size, "train"), (val, val_size, "val")):
        expect.dtype(t, torch.long, f"{what}: {name}")
        expect.shape(t, (size,), f"{what}: {name}")
    together = torch.cat([train, val]).sort().values
    expect.true(bool(torch.equal(together, torch.arange(n))),
                f"{what}: train and val together must hold every index 0..{n - 1} exactly once "
                "(no overlap, none missing)")
    return train, val


@check(points=3)
def test_split_is_a_partition(student, reference, device, rng):
    """train_val_indices returns disjoint long tensors of the right sizes covering 0..n-1."""
    cases = [(2, 1), (_int(rng, 10, 30), _int(rng, 2, 9)), (_int(rng, 12, 20), 11)]
    for i, (n, val_size) in enumerate(cases):
        _expect_split(student.train_val_indices(n, val_size, _seed=i), n, val_size,
                      f"train_val_indices({n}, {val_size})")
        _expect_split(student.train_val_indices(n, val_size, generator=specs.generator(_int(rng, 0, 9999))),
                      n, val_size, f"train_val_indices({n}, {val_size}, generator=...)")


@check(points=1)
def test_split_invalid_sizes_raise(student, reference, device, rng):
    """val_size outside 1..n-1 raises ValueError."""
    n = _int(rng, 4, 12)
    for val_size in (0, n, n + 3, -1):
        with expect.raises(ValueError, what=f"train_val_indices({n}, {val_size})"):
            student.train_val_indices(n, val_size)


@check(points=1)
def test_split_uses_the_generator(student, reference, device, rng):
    """The same seeded generator gives the same split, whatever the global random state."""
    n, val_size, seed = _int(rng, 15, 30), _int(rng, 3, 6), _int(rng, 0, 9999)
    first = student.train_val_indices(n, val_size, generator=specs.generator(seed), _seed=1)
    second = student.train_val_indices(n, val_size, generator=specs.generator(seed), _seed=2)
    _expect_split(first, n, val_size, "train_val_indices with a generator")
    expect.equal(second[1], first[1], what="val for two generators with the same seed (global seeds differ)")
    expect.equal(second[0], first[0], what="train for two generators with the same seed (global seeds differ)")


@check(points=2)
def test_split_is_random(student, reference, device, rng):
    """The split is random: different generator seeds, or global random states, give different validation sets."""
    n, val_size = 10, 3
    vals = set()
    for _ in range(4):
        _, val = _expect_split(student.train_val_indices(n, val_size, generator=specs.generator(_int(rng, 0, 9999))),
                               n, val_size, "train_val_indices(10, 3, generator=...)")
        vals.add(tuple(sorted(val.tolist())))
    expect.true(len(vals) >= 2, f"four generator seeds all gave the validation set {sorted(vals)[0]}: "
                "shuffle the indices before cutting")
    a = student.train_val_indices(30, 10, _seed=_int(rng, 0, 999))
    b = student.train_val_indices(30, 10, _seed=_int(rng, 1000, 1999))
    expect.true(not bool(torch.equal(a[1].sort().values, b[1].sort().values)),
                "without a generator, two different global random states gave the same validation set")


# ---------------------------------------------------------------- EarlyStopping

def _model_spec(rng: torch.Generator) -> object:
    return specs.mlp([3, 4, 2], seed=_int(rng, 0, 9999), label="model")


def _scores(rng: torch.Generator, length: int) -> list[float]:
    """A wandering accuracy on a grid of 0.05, so that ties happen."""
    value, scores = 0.5, []
    for _ in range(length):
        value = min(1.0, max(0.0, value + 0.05 * _int(rng, -2, 2)))
        scores.append(round(value, 2))
    return scores


def _run_both(student, reference, rng, scores, patience, min_delta=0.0):
    """Step the student's and the reference's EarlyStopping through `scores` until the reference says stop."""
    spec = _model_spec(rng)
    model = student.make(spec)
    ref_model = BuildContext().make(spec)
    stopper = student.instance("EarlyStopping", patience, min_delta=min_delta)
    ref = reference.EarlyStopping(patience, min_delta=min_delta)
    got, exp = [], []
    for score in scores:
        got.append(stopper.call_method("step", score, model))
        exp.append(ref.step(score, ref_model))
        if exp[-1]:
            break
    return stopper, ref, got, exp


@check(points=3)
def test_early_stopping_decisions(student, reference, device, rng):
    """step returns False while there is patience left and True once `patience` epochs brought no improvement."""
    base = 0.3 + 0.05 * _int(rng, 0, 6)
    # A bad epoch, then an improvement that must reset the count, then bad epochs again.
    crafted = [base, base - 0.1, base + 0.1, base, base + 0.05, base - 0.05, base]
    for patience, scores in ((1, _scores(rng, 12)), (_int(rng, 2, 3), _scores(rng, 12)), (2, crafted)):
        _, _, got, exp = _run_both(student, reference, rng, scores, patience)
        for value in got:
            expect.true(type(value) is bool, f"step returned a {type(value).__name__}, expected a bool")
        expect.equal(got, exp, what=f"step's answers for scores {scores[:len(exp)]} with patience {patience}")


@check(points=2)
def test_early_stopping_best_score_and_epoch(student, reference, device, rng):
    """best_score and best_epoch (counted from 1) follow the improvements; a tie is not one."""
    spec = _model_spec(rng)
    stopper = student.instance("EarlyStopping", 3)
    for name in ("best_score", "best_epoch", "best_state"):
        expect.equal(stopper.attr(name), None, what=f"{name} before the first step")
    model = student.make(spec)
    ref_model = BuildContext().make(spec)
    ref = reference.EarlyStopping(3)
    scores = _scores(rng, 6)
    scores.insert(2, max(scores[:2]))  # a tie with the best so far
    for i, score in enumerate(scores):
        stopper.call_method("step", score, model)
        ref.step(score, ref_model)
        if i in (0, 2, len(scores) - 1):  # after the first step, after the tie, at the end
            expect.close(stopper.attr("best_score"), ref.best_score, **METRIC_TOL,
                         what=f"best_score after scores {scores[:i + 1]}")
            expect.equal(stopper.attr("best_epoch"), ref.best_epoch,
                         what=f"best_epoch after scores {scores[:i + 1]}")


@check(points=1)
def test_early_stopping_min_delta(student, reference, device, rng):
    """An improvement must beat the best score by more than min_delta."""
    delta = 0.05
    base = 0.4 + 0.05 * _int(rng, 0, 4)
    scores = [base, base + 0.03, base + 0.04, base + 0.08, base + 0.1]
    stopper, ref, got, exp = _run_both(student, reference, rng, scores, 5, min_delta=delta)
    expect.equal(got, exp, what=f"step's answers with min_delta={delta} for scores {scores}")
    expect.equal(stopper.attr("best_epoch"), ref.best_epoch, what=f"best_epoch with min_delta={delta} for {scores}")
    expect.close(stopper.attr("best_score"), ref.best_score, **METRIC_TOL,
                 what=f"best_score with min_delta={delta} for {scores}")


@check(points=3)
def test_early_stopping_best_state_is_a_copy(student, reference, device, rng):
    """best_state keeps the weights of the best epoch even after the model changes (a copy, not the live tensors)."""
    spec = _model_spec(rng)
    model = student.make(spec)
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


# ---------------------------------------------------------------- fit_early_stopping

MAX_EPOCHS, PATIENCE, BATCHES = 6, 2, 5

# (features, batch size, size of the partial last batch, net seed, data seed): setups in which the
# reference stops early after a best epoch of 2 or 3 and ends below its best accuracy, often
# after a tie (found by running it), so that restoring the best weights differs from keeping
# the last ones, a tie matters and the last accuracy is not the best. Checks pick one with rng.
POOL = [(4, 4, 3, 4928, 4249), (4, 4, 1, 8285, 278), (5, 4, 1, 171, 7166), (5, 4, 3, 8876, 5796),
        (5, 4, 2, 616, 8797), (6, 3, 2, 2387, 9220), (4, 4, 1, 6939, 2857), (5, 4, 3, 5642, 1545),
        (4, 3, 1, 6831, 2592), (6, 4, 3, 5853, 2268), (6, 3, 1, 6821, 9120), (5, 3, 1, 7647, 5869),
        (5, 4, 3, 4968, 5249)]


def _fit_args(rng: torch.Generator, device: torch.device, max_epochs: int = MAX_EPOCHS,
              patience: int = PATIENCE, record_steps: bool = False) -> tuple:
    features, batch, extra, net_seed, data_seed = POOL[_int(rng, 0, len(POOL) - 1)]
    n, dev = batch * (BATCHES - 1) + extra, str(device)   # 5 minibatches, the last one partial
    # The validation loader holds the training examples (in two batches of different sizes), so
    # that its accuracy rises for a few epochs before it levels off and early stopping has
    # something to do.
    return (specs.mlp([features, 6, 3], seed=net_seed, label="net", device=dev),
            specs.loader(n=n, shape=(features,), classes=3, batch_size=batch, seed=data_seed,
                         label="train", device=dev),
            specs.loader(n=n, shape=(features,), classes=3, batch_size=n // 2 + 1, seed=data_seed, label="val",
                         device=dev),
            # per-example losses: the contract's loss(model(X), y).mean() is the mean, a .sum() is not
            specs.loss("cross_entropy", reduction="none"),
            specs.sgd("net", lr=0.1, label="updater", record_steps=record_steps),
            max_epochs, patience)


def _result(got: object) -> dict:
    expect.true(type(got) is dict and set(got) == {"best_epoch", "best_val_acc", "epochs_run"},
                "fit_early_stopping must return a dict with keys best_epoch, best_val_acc, epochs_run",
                f"got {got!r}")
    for key, typ in (("best_epoch", int), ("best_val_acc", float), ("epochs_run", int)):
        expect.true(type(got[key]) is typ, f"{key} must be a Python {typ.__name__}, got {type(got[key]).__name__}")
    return got


def _reference_fit(reference, args: tuple) -> tuple[dict, dict]:
    """The reference on the judge's own copies of the builds (nothing random happens in the loop,
    so no seed is needed); read directly, without reference_call's codec round trip of every step."""
    ctx = BuildContext()
    objects = ctx.materialize(list(args))
    return reference.fit_early_stopping(*objects), ctx.records()


@check(points=3)
def test_fit_matches_reference(student, reference, device, rng):
    """fit_early_stopping returns the reference's best_epoch, best_val_acc and epochs_run."""
    args = _fit_args(rng, device)
    got = _result(student.fit_early_stopping(*args, _seed=11))
    exp, _ = _reference_fit(reference, args)
    expect.equal(got["epochs_run"], exp["epochs_run"], what="epochs_run")
    expect.equal(got["best_epoch"], exp["best_epoch"], what="best_epoch")
    expect.close(got["best_val_acc"], exp["best_val_acc"], **METRIC_TOL, what="best_val_acc")


@check(points=3)
def test_fit_restores_best_weights(student, reference, device, rng):
    """After fit_early_stopping the model holds the weights of the best epoch, not the last ones."""
    # Optimizer steps are counted, not snapshotted (cheaper to send back); the reference's final
    # weights are those after its best epoch, which in every POOL setup differ from the last ones.
    args = _fit_args(rng, device)
    got, rec = student.call_recorded("fit_early_stopping", *args, _seed=12)
    got = _result(got)
    steps, best = rec["updater"]["step_count"], got["best_epoch"]
    expect.true(1 <= best <= got["epochs_run"] and steps == BATCHES * got["epochs_run"],
                f"best_epoch {best}, epochs_run {got['epochs_run']} and {steps} optimizer steps "
                f"({BATCHES} minibatches per epoch) do not fit together")
    ref_result, ref = _reference_fit(reference, args)
    expect.close(rec["net"]["final_state"], ref["net"]["final_state"], **PARAM_TOL,
                 what=f"the model's weights at the end (should be those after the best epoch, "
                      f"{ref_result['best_epoch']}, not the last one)")


@check(points=1)
def test_fit_modes(student, reference, device, rng):
    """Training forwards run in training mode with gradients, validation forwards in eval mode without."""
    args = _fit_args(rng, device, max_epochs=2, patience=3)
    got, rec = student.call_recorded("fit_early_stopping", *args, _seed=13)
    epochs = _result(got)["epochs_run"]
    expect.equal(rec["net"]["modes"], ([True] * BATCHES + [False] * 2) * epochs,
                 what="model.training at each forward pass")
    expect.equal(rec["net"]["grad_enabled"], ([True] * BATCHES + [False] * 2) * epochs,
                 what="torch.is_grad_enabled() at each forward pass")


@check(points=1)
def test_fit_stops_at_max_epochs(student, reference, device, rng):
    """With more patience than epochs, fit_early_stopping runs exactly max_epochs epochs."""
    max_epochs = _int(rng, 2, 3)
    args = _fit_args(rng, device, max_epochs=max_epochs, patience=max_epochs + _int(rng, 0, 2))
    got = _result(student.fit_early_stopping(*args, _seed=14))
    expect.equal(got["epochs_run"], max_epochs, what=f"epochs_run with max_epochs={max_epochs} and more patience")
