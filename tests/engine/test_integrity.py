"""The engine's seal (grader.checks.integrity) and the guard's reach (threads, TorchScript, op
families); the judge's review of the source is tests/engine/test_review.py.

Tampering scenarios change the process they run in, so they run in one fresh Python each batch,
never in the test process (whose engine other tests use)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from grader.checks.forbid import FAMILIES, ForbiddenSignal, Guard, expand_families, install_mode_switch_guards

ROOT = Path(__file__).resolve().parents[2]

SCENARIOS = {
    "honest": "import torch\ndef f(x):\n    return x * 2\n",
    "global_state": "import torch\ndef f(x):\n    torch.set_default_dtype(torch.float64)\n"
                    "    torch.set_grad_enabled(False)\n    return x * 2\n",
    "guard_seen": "import grader.checks.forbid as g\ng.Guard.seen = lambda self, func: None\n"
                  "def f(x):\n    return x * 2\n",
    "caught": "try:\n    import grader.checks.codec as c\n    c.to_plain = None\nexcept Exception:\n    pass\n"
              "def f(x):\n    return x * 2\n",
    "code_swap": "import grader.checks.specs as b\nb._state.__code__ = (lambda m: {}).__code__\n"
                 "def f(x):\n    return x * 2\n",
    "table": "import grader.checks.probes as p\np.PROBES['matmul_seconds'] = lambda **k: 1e-9\n"
             "def f(x):\n    return x * 2\n",
    "torch_class": "import torch\ntorch.nn.Module.named_modules = lambda self, *a, **k: iter(())\n"
                   "def f(x):\n    return x * 2\n",
    "in_call": "def f(x):\n    import grader.checks.executor as e\n    vars(e)['_plain_or_none'] = lambda v: v\n"
               "    return x * 2\n",
    "strict_off": "import grader.checks.forbid as g\ndef f(x):\n    g.STRICT.clear()\n    return x * 2\n",
    "torch_module_in_call": "import torch\ndef f(x):\n    vars(torch)['softmax'] = lambda *a, **k: None\n"
                            "    return x * 2\n",
    "torch_class_added": "import torch\ntorch.Tensor.contiguous = lambda self, *a: self\ndef f(x):\n    return x * 2\n",
    "reply_loop": "import grader.sandbox.worker as w\nvars(w)['_flush'] = lambda: None\ndef f(x):\n    return x * 2\n",
    "jit_at_import": "import torch\n@torch.jit.script\ndef g(x):\n    return x * 2\ndef f(x):\n    return g(x)\n",
}

RUNNER = textwrap.dedent('''
    import json, sys, tempfile, warnings
    from pathlib import Path
    warnings.simplefilter("ignore")
    import torch
    from grader.checks.executor import Executor
    from grader.checks import codec
    name, source, forbid = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    path = Path(tempfile.mkdtemp()) / "sub.py"
    path.write_text(source)
    exe = Executor.from_file(path, "sub_" + name, forbid, seal=True)
    out = []
    for _ in range(2):
        req = {"op": "call", "name": "f", "args": codec.to_plain([torch.ones(2)]),
               "kwargs": codec.to_plain({}), "seed": 0, "forbid": [], "record": False}
        reply = exe.handle(codec.roundtrip(req))
        out.append(reply["ok"] or reply["error"]["kind"])
    if len(sys.argv) > 4:  # the judge's last request of an exercise
        reply = exe.handle(codec.roundtrip({"op": "verify"}))
        out.append(reply["ok"] or reply["error"]["kind"])
    print(json.dumps(out))
''')


def _run(name: str, forbid: dict | None = None, verify: bool = False) -> list:
    proc = subprocess.run([sys.executable, "-c", RUNNER, name, SCENARIOS[name], json.dumps(forbid or {}),
                           *(["verify"] if verify else [])],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ["honest", "global_state"])
def test_honest_code_is_not_tampering(name):
    assert _run(name) == [True, True]


@pytest.mark.parametrize("name", ["guard_seen", "caught", "code_swap", "table", "torch_class", "torch_class_added",
                                  "reply_loop"])
def test_tampering_at_import_is_reported_on_every_request(name):
    assert _run(name) == ["tampering", "tampering"]


def test_tampering_inside_a_call_is_seen_after_it():
    assert _run("in_call") == ["tampering", "tampering"]


def test_a_torch_module_changed_in_a_call_is_seen_right_after_it():
    assert _run("torch_module_in_call", verify=True) == ["tampering", "tampering", "tampering"]


def test_honest_code_passes_the_last_verify():
    assert _run("honest", verify=True) == [True, True, True]


def test_switching_off_the_compiler_ban_is_tampering():
    assert _run("strict_off", {"f": ["softmax"]}) == ["tampering", "tampering"]


def test_torchscript_is_refused_only_where_the_exercise_bans_something():
    assert _run("jit_at_import") == [True, True]
    assert _run("jit_at_import", {"f": ["softmax"]}) == ["load", "load"]


# ------------------------------------------------------------------ the guard's reach

def _caught(names, fn) -> str | None:
    install_mode_switch_guards()
    guard = Guard(names)
    try:
        with guard:
            fn()
    except BaseException:  # noqa: BLE001 - the signal, or torch's wrapping of it
        pass
    return guard.violation.shown if guard.violation else None


X = torch.randn(3, 4)


@pytest.mark.parametrize("op, call", [
    ("conv2d", lambda: torch.ops.aten.thnn_conv2d(torch.randn(1, 1, 4, 4), torch.randn(1, 1, 3, 3), [3, 3])),
    ("conv2d", lambda: torch.ops.aten._slow_conv2d_forward(torch.randn(1, 1, 4, 4), torch.randn(1, 1, 3, 3),
                                                            [3, 3], None, [1, 1], [0, 0])),
    ("conv2d", lambda: torch.ops.aten.mkldnn_convolution(torch.randn(1, 1, 4, 4), torch.randn(1, 1, 3, 3), None,
                                                          [0, 0], [1, 1], [1, 1], 1)),
    ("conv2d", lambda: torch.nn.grad.conv2d_input((1, 1, 4, 4), torch.randn(1, 1, 3, 3), torch.randn(1, 1, 2, 2))),
    ("softmax", lambda: torch.ops.aten._safe_softmax(X, 1)),
    ("softmax", lambda: torch.nn.functional.scaled_dot_product_attention(
        torch.ones(3, 1, 1), X[:, :, None], torch.eye(4).expand(3, 4, 4))),
    ("nll_loss", lambda: torch.ops.aten.nll_loss_forward(X, torch.tensor([0, 1, 2]), None, 1, -100)),
    ("nll_loss", lambda: torch.ops.aten.nll_loss2d(X[:, :, None, None], torch.tensor([[[0]], [[1]], [[2]]]),
                                                    None, 1, -100)),
    ("logsumexp", lambda: torch.logcumsumexp(X, 1)),
    ("dropout", lambda: torch.ops.aten.native_dropout(X, 0.5, True)),
    ("norm", lambda: torch.ops.aten.native_norm(X)),
])
def test_a_ban_covers_the_whole_op_family(op, call):
    assert _caught([op], call) is not None


def test_a_ban_on_linear_does_not_ban_matmul():
    assert "matmul" not in expand_families(["linear"]) and "linear" in FAMILIES["matmul"]
    assert _caught(["linear"], lambda: X @ X.T) is None


def test_threads_are_watched_by_the_guard_of_the_call():
    import threading
    results = []
    worker = threading.Thread(target=lambda: results.append(torch.softmax(X, 1)))
    assert _caught(["softmax"], lambda: (worker.start(), worker.join())) is not None


def test_engine_wrappers_keep_no_unwrapped_original():
    install_mode_switch_guards()
    assert not hasattr(torch._C._pop_torch_function_stack, "__wrapped__")
    assert not hasattr(torch._C.DisableTorchFunction, "__wrapped__")


def test_forbidden_signal_is_still_a_base_exception():
    assert issubclass(ForbiddenSignal, BaseException) and not issubclass(ForbiddenSignal, Exception)


