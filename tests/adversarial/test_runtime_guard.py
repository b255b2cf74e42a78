"""Issue 24, classes 1-3 beyond ch3.softmax: banned computations under other names, routes
around the in-worker guard's modes, and records faked for the length of a call, graded in one
real `grader grade` run. Each attack has an honest twin that is the same code without the trick
(the attacked part left unfinished, or the contract slip the trick hides); the attack must score
exactly what its twin scores, and less than the reference solution. Every one of them scored
more than its twin before the guard and the records were closed.

- ch2.indexing, ch2.linalg: a sum through a cumulative sum or numpy, norms through l1_loss and
  cdist, a matrix-vector product through bilinear (class 1: families and numpy).
- ch4.dropout: F.dropout on the CPU reaches no dispatch mode, only the function mode; these
  reach it where that mode used to be set aside: a gradient hook, handle_torch_function with the
  student's own function, a skipped hop, a tensor subclass's handler, a function mode pushed at
  import (class 2).
- ch3.training: evaluate_accuracy without no_grad() or eval(), with the recorded flags faked for
  the length of the call: torch.is_grad_enabled swapped and restored, the net's class swapped for
  one whose `training` answers False (class 3).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INDEXING = (ROOT / "solutions/ch2/indexing.py").read_text()
LINALG = (ROOT / "solutions/ch2/linalg.py").read_text()
DROPOUT = (ROOT / "solutions/ch4/dropout.py").read_text()
TRAINING = (ROOT / "solutions/ch3/training.py").read_text()


def _mean(route: str) -> str:
    return INDEXING + f'''
def loop_mean(T):
    if T.numel() == 0:
        raise ValueError("the mean of an empty tensor is undefined")
    return {route}
'''


def _linalg(l1: str, l2: str, matvec: str) -> str:
    return LINALG + f'''
import torch.nn.functional as F
def l1_norm(x):
    return {l1}
def l2_norm(x):
    return {l2}
def frobenius_norm(X):
    if X.dim() != 2:
        raise ValueError("frobenius_norm needs a matrix")
    return l2_norm(X)
def matvec(A, x):
    if A.dim() != 2 or x.dim() != 1 or A.shape[1] != x.shape[0]:
        raise ValueError("matvec needs a matrix and a vector of matching sizes")
    return {matvec}
'''


def _dropout(prelude: str, route: str) -> str:
    """The reference's dropout_layer with its random mask replaced by `route` (X, p)."""
    return DROPOUT + prelude + f'''
def dropout_layer(X, dropout_prob):
    if not 0.0 <= dropout_prob <= 1.0:
        raise ValueError(f"dropout_prob must be between 0 and 1, got {{dropout_prob}}")
    if dropout_prob == 1.0:
        return torch.zeros_like(X)
    if dropout_prob == 0.0:
        return X.clone()
    return {route}
'''


UNFINISHED = "_unfinished()"
STUB = '''
def _unfinished():
    raise NotImplementedError("not written yet")
'''
HOOK = '''
import functools
def _by_hook(X, p):
    t = torch.zeros_like(X).requires_grad_()
    t.register_hook(functools.partial(torch.nn.functional.dropout, p=p, training=True))
    (t * 1).backward(X.detach())
    return t.grad
'''
SUBCLASS = '''
_P = []
class _Dropped(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        with torch._C.DisableTorchFunctionSubclass():
            return torch.nn.functional.dropout(args[0].as_subclass(torch.Tensor), _P[-1], True)
def _by_subclass(X, p):
    _P.append(p)
    return X.as_subclass(_Dropped).sinh()
'''
MODE_AT_IMPORT = '''
from torch.overrides import TorchFunctionMode
_P = []
class _Answer(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func is torch.sinh and _P:
            return torch.nn.functional.dropout(args[0], _P.pop(), True)
        return func(*args, **(kwargs or {}))
_Answer().__enter__()   # below the guard's modes from now on
def _by_mode(X, p):
    _P.append(p)
    return torch.sinh(X)
'''


def _evaluate(trick_before: str, trick_after: str, *, eval_mode: bool, no_grad: bool) -> str:
    """evaluate_accuracy as the reference writes it, less eval() or no_grad(), with a trick
    around its loop."""
    return TRAINING + f'''
import contextlib
def evaluate_accuracy(net, data_iter):
    {"net.eval()" if eval_mode else "pass"}
    correct, seen = 0.0, 0
{trick_before}    try:
        with {"torch.no_grad()" if no_grad else "contextlib.nullcontext()"}:
            for X, y in data_iter:
                correct += accuracy(net(X), y) * len(y)
                seen += len(y)
    finally:
{trick_after}    return correct / seen
'''


NO_TRICK = ("", "        pass\n")
FAKE_GRAD = ("    _real = torch.is_grad_enabled\n    torch.is_grad_enabled = lambda: False\n",
             "        torch.is_grad_enabled = _real\n")
FAKE_EVAL = ("    _class = type(net)\n    net.__class__ = type('Evaluating', (_class,), {'training': property(lambda self: False)})\n",
             "        net.__class__ = _class\n")

STUDENTS = {
    "reference_indexing": {"ch2/indexing.py": INDEXING},
    "twin_mean": {"ch2/indexing.py": _mean(UNFINISHED) + STUB},
    "mean_by_cumsum": {"ch2/indexing.py": _mean("float(T.double().flatten().cumsum(0)[-1]) / T.numel()")},
    "mean_by_numpy": {"ch2/indexing.py": _mean("float(T.double().numpy().mean())")},
    "reference_linalg": {"ch2/linalg.py": LINALG},
    "twin_linalg": {"ch2/linalg.py": _linalg(UNFINISHED, UNFINISHED, UNFINISHED) + STUB},
    "linalg_by_other_names": {"ch2/linalg.py": _linalg(
        'F.l1_loss(x, torch.zeros_like(x), reduction="sum")',
        "torch.cdist(x.reshape(1, -1), torch.zeros(1, x.numel(), dtype=x.dtype))[0, 0]",
        "F.bilinear(torch.ones(1, dtype=A.dtype), x, A[:, None, :])")},
    "reference_dropout": {"ch4/dropout.py": DROPOUT},
    "twin_dropout": {"ch4/dropout.py": _dropout(STUB, UNFINISHED)},
    "dropout_by_hook": {"ch4/dropout.py": _dropout(HOOK, "_by_hook(X, dropout_prob)")},
    "dropout_by_own_function": {"ch4/dropout.py": _dropout("", "torch.overrides.handle_torch_function("
                                                           "lambda X: torch.nn.functional.dropout(X, dropout_prob, True), (X,), X)")},
    "dropout_by_skipped_hop": {"ch4/dropout.py": _dropout("", "torch._C._skip_one_hop_torch_function("
                                                          "torch.dropout, (), (X, dropout_prob, True), {})")},
    "dropout_by_subclass": {"ch4/dropout.py": _dropout(SUBCLASS, "_by_subclass(X, dropout_prob)")},
    "dropout_by_mode_at_import": {"ch4/dropout.py": _dropout(MODE_AT_IMPORT, "_by_mode(X, dropout_prob)")},
    "twin_dropout_sinh": {"ch4/dropout.py": _dropout("", "torch.sinh(X)")},   # the same call, no mode below it
    "reference_training": {"ch3/training.py": TRAINING},
    "twin_no_grad": {"ch3/training.py": _evaluate(*NO_TRICK, eval_mode=True, no_grad=False)},
    "grad_flag_swapped": {"ch3/training.py": _evaluate(*FAKE_GRAD, eval_mode=True, no_grad=False)},
    "twin_no_eval": {"ch3/training.py": _evaluate(*NO_TRICK, eval_mode=False, no_grad=True)},
    "class_swapped": {"ch3/training.py": _evaluate(*FAKE_EVAL, eval_mode=False, no_grad=True)},
}
TWINS = [("mean_by_cumsum", "twin_mean", "reference_indexing", "ch2.indexing"),
         ("mean_by_numpy", "twin_mean", "reference_indexing", "ch2.indexing"),
         ("linalg_by_other_names", "twin_linalg", "reference_linalg", "ch2.linalg"),
         ("dropout_by_hook", "twin_dropout", "reference_dropout", "ch4.dropout"),
         ("dropout_by_own_function", "twin_dropout", "reference_dropout", "ch4.dropout"),
         ("dropout_by_skipped_hop", "twin_dropout", "reference_dropout", "ch4.dropout"),
         ("dropout_by_subclass", "twin_dropout", "reference_dropout", "ch4.dropout"),
         ("dropout_by_mode_at_import", "twin_dropout_sinh", "reference_dropout", "ch4.dropout"),
         ("grad_flag_swapped", "twin_no_grad", "reference_training", "ch3.training"),
         ("class_swapped", "twin_no_eval", "reference_training", "ch3.training")]
# the routes the guard refuses by name (the others are closed another way: a mode cleared, a record read from the truth)
REFUSED = {"mean_by_cumsum": ("cumsum",), "mean_by_numpy": ("numpy",), "linalg_by_other_names": ("l1_loss", "cdist", "bilinear"),
           "dropout_by_hook": ("dropout",), "dropout_by_own_function": ("dropout",),
           "dropout_by_skipped_hop": ("_skip_one_hop_torch_function",), "dropout_by_subclass": ("_Dropped",)}


@pytest.fixture(scope="module")
def graded(grade_class):
    out = grade_class(STUDENTS, {exercise for *_, exercise in TWINS}, timeout=60)
    with open(out / "grades.csv", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    report = {r["student"]: r for r in json.loads((out / "grades.json").read_text())["students"]}
    return rows, report


@pytest.mark.parametrize("attack, twin, reference, exercise", TWINS)
def test_a_route_around_the_guard_scores_like_its_honest_twin(graded, attack, twin, reference, exercise):
    rows, report = graded
    # the run-time defences alone, on the checks' points before any hold of the judge's review
    got, honest, full = (float(report[n]["exercises"][exercise]["score"]) for n in (attack, twin, reference))
    assert got == honest, (attack, got, twin, honest)
    assert got < full, (attack, got, full)
    # what counts is never more than the twin's (an attack the review holds counts 0)
    assert float(rows[attack][exercise] or 0) <= float(rows[twin][exercise] or 0), (attack, rows[attack])


@pytest.mark.parametrize("attack", sorted(REFUSED))
def test_the_student_is_told_which_call_was_refused(graded, attack):
    _, report = graded
    exercise = next(e for a, *_, e in TWINS if a == attack)
    checks = report[attack]["exercises"][exercise]["checks"]
    refused = [c for c in checks if c["status"] == "forbidden"]
    assert refused and all(any(name in c["message"] for name in REFUSED[attack]) for c in refused), \
        [c["message"] for c in checks][:3]
    assert not report[attack]["exercises"][exercise]["tampering"]
