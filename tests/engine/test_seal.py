"""The seal's verification (grader.checks.integrity) with CPython's dict version tags and without
them, and the records' ground truth (grader.checks.nn_state, the recorders in specs).

Sealing changes the process it runs in, so the seal runs in a fresh Python per case."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from grader.checks import integrity, nn_state, specs

ROOT = Path(__file__).resolve().parents[2]

# each: (what the student's code does, how to undo it); the seal must see the first and, once
# undone, be clean again (the snapshot is by identity)
CHANGES = {
    "engine module, through its dict": ("vars(executor)['_plain_or_none'] = None",
                                        "vars(executor)['_plain_or_none'] = kept['plain']"),
    "engine class, through its dict": ("gc.get_referents(vars(forbid.Guard))[0]['seen'] = None",
                                       "gc.get_referents(vars(forbid.Guard))[0]['seen'] = kept['seen']"),
    "attribute added to a torch class": ("torch.Tensor.contiguous = lambda self, *a: self",
                                         "del torch.Tensor.contiguous"),
    "torch function replaced": ("torch.nn.functional.relu = None", "torch.nn.functional.relu = kept['relu']"),
    "function code swapped": ("specs._state.__code__ = (lambda m: {}).__code__",
                              "specs._state.__code__ = kept['code']"),
    "engine table changed": ("forbid.FAMILIES['softmax'] = frozenset()", "forbid.FAMILIES['softmax'] = kept['family']"),
    "engine builtins changed": ("integrity.ENGINE_BUILTINS['print'] = None",
                                "integrity.ENGINE_BUILTINS['print'] = kept['print']"),
    "reply loop": ("vars(worker)['_flush'] = None", "vars(worker)['_flush'] = kept['flush']"),
}
# what honest code and torch change at run time: not tampering
HONEST = ["torch.set_default_dtype(torch.float64); torch.set_default_dtype(torch.float32)",
          "import torch.distributions",
          "with torch.utils._python_dispatch.TorchDispatchMode(): pass",
          "builtins.print = lambda *a, **k: None",
          "import copy; copy.deepcopy(torch.nn.Linear(2, 2))"]

RUNNER = textwrap.dedent('''
    import builtins, gc, json, sys, warnings
    warnings.simplefilter("ignore")
    import torch
    from grader.checks import executor, forbid, integrity, specs
    import grader.sandbox.worker as worker
    if sys.argv[1] == "entry by entry":
        integrity.VERSIONS = None
    executor.seal_engine()
    kept = {"plain": executor._plain_or_none, "seen": forbid.Guard.seen, "relu": torch.nn.functional.relu,
            "code": specs._state.__code__, "family": forbid.FAMILIES["softmax"],
            "print": integrity.ENGINE_BUILTINS["print"], "flush": worker._flush}
    out = {"tags": integrity._STATE["snapshot"]._views != []}
    for name, (do, undo) in json.loads(sys.argv[2]).items():
        exec(do)
        seen = integrity.changes()
        exec(undo)
        out[name] = [seen, integrity.changes()]
    for line in json.loads(sys.argv[3]):
        exec(line)
        out[line] = integrity.changes()
    sys.stdout.write(json.dumps(out) + "\\n")
''')


@pytest.fixture(scope="module", params=["version tags", "entry by entry"])
def verified(request):
    proc = subprocess.run([sys.executable, "-c", RUNNER, request.param, json.dumps(CHANGES), json.dumps(HONEST)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return request.param, json.loads(proc.stdout.strip().splitlines()[-1])


def test_version_tags_are_used_where_the_interpreter_has_them(verified):
    how, out = verified
    assert out["tags"] == (how == "version tags" and integrity.VERSIONS is not None)


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_change_is_seen_and_an_undone_one_is_clean_again(verified, name):
    _, out = verified
    seen, after_undo = out[name]
    assert seen, name
    assert after_undo == [], (name, after_undo)


@pytest.mark.parametrize("line", HONEST)
def test_what_torch_and_honest_code_change_is_not_tampering(verified, line):
    _, out = verified
    assert out[line] == [], (line, out[line])


def test_an_attribute_added_to_a_torch_class_is_named():
    proc = subprocess.run([sys.executable, "-c", RUNNER, "version tags", json.dumps({}),
                           json.dumps(["torch.Tensor.contiguous = lambda self, *a: self"])],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "torch.Tensor.contiguous was added" in out["torch.Tensor.contiguous = lambda self, *a: self"]


# ------------------------------------------------------------------ records read the truth

class Child(nn.Module):
    """A module whose methods and attributes lie about what it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(2, 2)

    def named_modules(self, *args, **kwargs):
        return iter([("", self)])

    def named_parameters(self, *args, **kwargs):
        return iter([])


class AlwaysEval(nn.Sequential):
    training = property(lambda self: False, lambda self, value: None)


def test_nn_state_reads_the_modules_own_dicts():
    net = nn.Sequential(nn.Linear(2, 2), Child())
    net[1].tied = net[0]   # a shared module is listed once, as torch lists it
    assert [n for n, _ in nn_state.named_modules(net)] == ["", "0", "1", "1.hidden"]
    assert [n for n, _ in nn.Module.named_modules(net)] == ["", "0", ""]   # what torch's own walk is told
    assert [n for n, _ in nn_state.named_parameters(net)] == ["0.weight", "0.bias", "1.hidden.weight",
                                                               "1.hidden.bias"]
    bn = nn.BatchNorm1d(2)
    assert [n for n, _ in nn_state.named_buffers(bn)] == [n for n, _ in bn.named_buffers()]
    net.eval()
    assert nn_state.training(net) is False
    fake = nn.Sequential(nn.Linear(2, 2))
    fake.__class__ = AlwaysEval
    assert fake.training is False and nn_state.training(fake) is True


def test_a_recorder_sees_the_real_flags_and_a_class_swap():
    ctx = specs.BuildContext()
    net = ctx.make(specs.mlp([2, 3, 2], label="net"))
    real = torch.is_grad_enabled
    torch.is_grad_enabled = lambda: False   # swapped for the length of a call
    try:
        net.__class__ = type("Evaluating", (type(net),), {"training": property(lambda self: False)})
        net(torch.ones(1, 2))
    finally:
        torch.is_grad_enabled = real
    attempts = list(integrity.ATTEMPTS)
    try:
        rec = ctx.records()["net"]
        assert rec["modes"] == [True] and rec["grad_enabled"] == [True]
        assert integrity.ATTEMPTS[len(attempts):] == ["the recorder of a built model was removed or replaced"]
    finally:
        integrity.ATTEMPTS[:] = attempts
