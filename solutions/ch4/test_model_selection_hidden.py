"""Hidden checks for ch4.model_selection.

EarlyStopping is not an nn.Module: checks reach an instance through `student.instance` and hand
it a model built next to the student's code with `student.make`, so that the same model can be
changed between two `step` calls (that is how a saved reference instead of a copy shows). The
judge runs the reference class on its own copy of the same built model.

fit_early_stopping calls the student's EarlyStopping: a slip there is charged by EarlyStopping's
own checks, so a fit check accepts what the reference's rule decides or what the student's own
EarlyStopping decides on the same validation accuracies (stepped here, epoch by epoch, with the
reference's weights loaded into a model next to the student's code).
"""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect, StudentError
from grader.checks.specs import BuildContext

EXERCISE = "ch4.model_selection"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "split_partition": "train_val_indices gives two torch.long tensors of sizes n - val_size and val_size that "
                       "together hold 0..n-1 once",
    "split_value_error": "train_val_indices raises ValueError unless 1 <= val_size <= n - 1",
    "split_generator": "the split comes from the generator when one is given: the same seed, the same split",
    "split_random": "the split is a random permutation cut in two (from the global state without a generator)",
    "es_example": "scores 0.6, 0.7, 0.7, 0.65 with patience 2 stop after the fourth step; the best is epoch 2",
    "es_decisions": "step returns True once patience steps in a row brought no improvement, and an improvement "
                    "resets the count",
    "es_best": "best_score and best_epoch (counted from 1) follow the improvements, a tie is none, and all three "
               "are None before the first step",
    "es_min_delta": "an improvement must beat the best score by more than min_delta",
    "es_copy": "best_state is a copy of the state dict, not the live tensors",
    "fit_form": "fit_early_stopping returns {best_epoch: int, best_val_acc: float, epochs_run: int}, one optimizer "
                "step per minibatch",
    "fit_summary": "fit_early_stopping trains, validates after each epoch and stops when its EarlyStopping says so: "
                   "the epochs run, the best epoch and its accuracy",
    "fit_restore": "before returning, fit_early_stopping loads the best weights back into the model",
    "fit_modes": "training runs in training mode with gradients, validation in evaluation mode without",
    "fit_max_epochs": "fit_early_stopping runs at most max_epochs epochs",
}

METRIC_TOL = {"rtol": 1e-5, "atol": 1e-6}
PARAM_TOL = {"rtol": 1e-4, "atol": 1e-5}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


# ---------------------------------------------------------------- train_val_indices

def _pair(got: object, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The (train, val) pair; their sizes, dtype and partition are the visible check's concern."""
    expect.true(type(got) in (tuple, list) and len(got) == 2, f"{what} must return the pair (train, val)")
    return expect.tensor(got[0], f"{what}: train"), expect.tensor(got[1], f"{what}: val")


@check(points=1, clause="split_generator")
def test_split_uses_the_generator(student, reference, device, rng):
    """The same seeded generator gives the same split, whatever the global random state."""
    n, val_size, seed = _int(rng, 15, 30), _int(rng, 3, 6), _int(rng, 0, 9999)
    first = _pair(student.train_val_indices(n, val_size, generator=specs.generator(seed), _seed=1),
                  "train_val_indices with a generator")
    second = _pair(student.train_val_indices(n, val_size, generator=specs.generator(seed), _seed=2),
                   "train_val_indices with a generator")
    expect.equal(second[1], first[1], what="val for two generators with the same seed (global seeds differ)")
    expect.equal(second[0], first[0], what="train for two generators with the same seed (global seeds differ)")


@check(points=2, clause="split_random")
def test_split_is_random(student, reference, device, rng):
    """The split is random: different generator seeds, or global random states, give different validation sets."""
    vals = set()
    for _ in range(4):
        _, val = _pair(student.train_val_indices(10, 3, generator=specs.generator(_int(rng, 0, 9999))),
                       "train_val_indices(10, 3, generator=...)")
        vals.add(tuple(sorted(val.tolist())))
    expect.true(len(vals) >= 2, f"four generator seeds all gave the validation set {sorted(vals)[0]}: "
                "shuffle the indices before cutting")
    a = _pair(student.train_val_indices(30, 10, _seed=_int(rng, 0, 999)), "train_val_indices(30, 10)")
    b = _pair(student.train_val_indices(30, 10, _seed=_int(rng, 1000, 1999)), "train_val_indices(30, 10)")
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


@check(points=3, clause="es_decisions")
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


@check(points=2, clause="es_best")
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


@check(points=1, clause="es_min_delta")
def test_early_stopping_min_delta(student, reference, device, rng):
    """An improvement must beat the best score by more than min_delta."""
    delta = 0.05
    base = 0.4 + 0.05 * _int(rng, 0, 4)
    scores = [base, base + 0.03, base + 0.04, base + 0.08, base + 0.1, base + 0.1, base + 0.1]
    # patience 2: ignoring min_delta resets the count where it must not, and so changes the answers
    stopper, ref, got, exp = _run_both(student, reference, rng, scores, 2, min_delta=delta)
    expect.equal(got, exp, what=f"step's answers with min_delta={delta} and patience 2 for scores {scores}")
    expect.close(stopper.attr("best_score"), ref.best_score, **METRIC_TOL,
                 what=f"best_score with min_delta={delta} for {scores}")


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
    """The summary's numbers (their Python types are the visible check's concern)."""
    expect.true(type(got) is dict and {"best_epoch", "best_val_acc", "epochs_run"} <= set(got),
                "fit_early_stopping must return a dict with keys best_epoch, best_val_acc, epochs_run",
                f"got {got!r}")
    return {k: v.item() if type(v) is torch.Tensor and v.dim() == 0 else v for k, v in got.items()}


def _trajectory(reference, args: tuple) -> tuple[list[dict], list[float]]:
    """The weights after every epoch of training (all max_epochs of them: nothing random happens in
    the loop, and training does not depend on when it stops) and the validation accuracy of each,
    on the judge's own copies of the builds."""
    net_spec, train, val, loss, opt, max_epochs, _ = args
    ctx = BuildContext()
    objects = ctx.materialize([net_spec, train, val, loss, specs.sgd("net", lr=opt.spec["lr"], label="updater"),
                               max_epochs, max_epochs + 1])
    reference.fit_early_stopping(*objects)
    steps = ctx.records()["updater"]["steps"]
    states = [steps[BATCHES * (e + 1) - 1] for e in range(max_epochs)]
    net = BuildContext().make(net_spec)
    net.eval()
    accs = []
    with torch.no_grad():
        for state in states:
            net.load_state_dict(state)
            batches = list(ctx.objects["val"])
            correct = sum(int((net(X).argmax(dim=1) == y).sum()) for X, y in batches)
            accs.append(correct / sum(len(y) for _, y in batches))
    return states, accs


def _decided(stopper_step, best, states: list[dict], accs: list[float]) -> dict:
    """Step a stopper through the accuracies (states[e] loaded before step e) until it says stop."""
    epochs = 0
    for state, acc in zip(states, accs):
        epochs += 1
        if stopper_step(state, acc):
            break
    return {"epochs_run": epochs, **best()}


def _expectations(student, reference, args: tuple) -> list[dict]:
    """What fit_early_stopping must give: by the contract's rule (the reference's EarlyStopping),
    and by the student's own EarlyStopping where that differs (its slips are its own checks')."""
    states, accs = _trajectory(reference, args)
    patience, spec = args[6], args[0]
    ref_model, ref = BuildContext().make(spec), reference.EarlyStopping(patience)

    def ref_step(state, acc):
        ref_model.load_state_dict(state)
        return ref.step(acc, ref_model)

    out = [_decided(ref_step, lambda: {"best_epoch": ref.best_epoch, "best_val_acc": ref.best_score,
                                        "final_state": ref.best_state}, states, accs)]
    try:
        model, own = student.make(spec), student.instance("EarlyStopping", patience)

        def own_step(state, acc):
            model.load_state_dict(state)
            return own.call_method("step", acc, model)

        out.append(_decided(own_step, lambda: {"best_epoch": own.attr("best_epoch"),
                                               "best_val_acc": own.attr("best_score"),
                                               "final_state": own.attr_as_dict("best_state")}, states, accs))
    except StudentError:
        pass     # no working EarlyStopping: the contract's rule alone
    return out


def _matches(got: dict, expected: dict, keys) -> bool:
    for key in keys:
        try:
            if key == "best_val_acc":
                expect.close(got[key], expected[key], **METRIC_TOL)
            elif key == "final_state":
                expect.close(got[key], expected[key], **PARAM_TOL)
            else:
                expect.equal(got[key], expected[key])
        except AssertionError:
            return False
    return True


def _expect_one_of(got: dict, expectations: list[dict], keys, what: str) -> None:
    if any(_matches(got, e, keys) for e in expectations):
        return
    exp = expectations[0]
    for key in keys:   # the contract's values, named one by one
        if key == "final_state":
            expect.close(got[key], exp[key], **PARAM_TOL, what=what)
        elif key == "best_val_acc":
            expect.close(got[key], exp[key], **METRIC_TOL, what=key)
        else:
            expect.equal(got[key], exp[key], what=key)


@check(points=3, clause="fit_summary")
def test_fit_matches_reference(student, reference, device, rng):
    """fit_early_stopping returns the epochs run, the best epoch and its accuracy that its EarlyStopping decides."""
    args = _fit_args(rng, device)
    got = _result(student.fit_early_stopping(*args, _seed=11))
    _expect_one_of(got, _expectations(student, reference, args), ("epochs_run", "best_epoch", "best_val_acc"),
                   "fit_early_stopping's summary")


@check(points=3, clause="fit_restore")
def test_fit_restores_best_weights(student, reference, device, rng):
    """After fit_early_stopping the model holds the weights of the best epoch, not the last ones."""
    # the reference's final weights are those after its best epoch, which in every POOL setup
    # differ from the last ones
    args = _fit_args(rng, device)
    _, rec = student.call_recorded("fit_early_stopping", *args, _seed=12)
    _expect_one_of({"final_state": rec["net"]["final_state"]}, _expectations(student, reference, args),
                   ("final_state",), "the model's weights at the end (should be those after the best epoch, "
                   "not the last one)")


@check(points=1, clause="fit_modes")
def test_fit_modes(student, reference, device, rng):
    """Training forwards run in training mode with gradients, validation forwards in eval mode without."""
    args = _fit_args(rng, device, max_epochs=2, patience=3)
    got, rec = student.call_recorded("fit_early_stopping", *args, _seed=13)
    epochs = _result(got)["epochs_run"]
    expect.equal(rec["net"]["modes"], ([True] * BATCHES + [False] * 2) * epochs,
                 what="model.training at each forward pass")
    expect.equal(rec["net"]["grad_enabled"], ([True] * BATCHES + [False] * 2) * epochs,
                 what="torch.is_grad_enabled() at each forward pass")


@check(points=1, clause="fit_max_epochs")
def test_fit_stops_at_max_epochs(student, reference, device, rng):
    """With more patience than epochs, fit_early_stopping runs exactly max_epochs epochs."""
    max_epochs = _int(rng, 2, 3)
    args = _fit_args(rng, device, max_epochs=max_epochs, patience=max_epochs + _int(rng, 0, 2))
    got = _result(student.fit_early_stopping(*args, _seed=14))
    expect.equal(got["epochs_run"], max_epochs, what=f"epochs_run with max_epochs={max_epochs} and more patience")
