"""`[grading] isolation`: one worker per exercise, or one per student reused while it stays clean.

The two modes must grade alike. Each student here hands in a first exercise that leaves
something behind in its worker (a thread, a changed torch setting, files, modules, random draws,
a crash, tampering...) and a second exercise whose visible check reports the state it finds at
import and at its call (through the failure message, which shows what the code returned; not
Python's `random`, which reseeds itself in every forked process, so no grade can rest on it). Graded
with `exercise` and with `student`, every message must be the same: what a reused worker
restores is restored exactly, and whatever it cannot restore sends the next exercise to a fresh
worker (the `not_reused` reason in grades.json says which)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

COURSE = """\
[course]
title = "Leftovers"
version = "1"

[grading]
check_timeout = 5
submission_timeout = 30
memory_limit_mb = 2048
jobs = 1

[chapters.ch1]
title = "First"

[chapters.ch2]
title = "Second"

[exercises.ch1.first]
title = "Leaves something behind"
file = "ch1/first.py"
symbols = ["first"]
points = 1

[exercises.ch2.second]
title = "Finds what was left"
file = "ch2/second.py"
symbols = ["state"]
points = 1
"""

FIRST_CHECK = '''\
from grader.checks import check, expect

EXERCISE = "ch1.first"


@check(points=1)
def test_first(student):
    """first() is 1."""
    expect.equal(student.first(), 1, what="first()")
'''

SECOND_CHECK = '''\
from grader.checks import check, expect

EXERCISE = "ch2.second"


@check(points=1)
def test_state(student):
    """the state the module found (never what is expected: the message shows it)."""
    expect.equal(student.state(), "not this", what="state()")
'''

# The second exercise: everything a leftover could change that a check or the student's code sees.
SECOND = '''\
import os, sys, threading, warnings
import numpy as np
import torch


def _describe():
    return repr([str(torch.get_default_dtype()), torch.is_grad_enabled(), torch.get_num_threads(),
                 torch.rand(2).tolist(), float(np.random.rand()),
                 sorted(os.listdir(".")), os.getcwd() == os.environ.get("HOME"),
                 sorted(m for m in sys.modules if "helper" in m), os.environ.get("LEFTOVER"),
                 threading.active_count(), len(warnings.filters), sys.path[-1] == os.getcwd(),
                 len(torch.nn.modules.module._global_forward_hooks), type(print).__name__])


AT_IMPORT = _describe()


def state():
    return AT_IMPORT + " / " + _describe()
'''

HONEST = "def first():\n    return 1\n"
LEAVES = {
    # restored exactly: the worker is reused, and the second exercise sees a fresh worker's state
    "honest": (HONEST, True),
    "draws_random": ("import random, numpy, torch\nrandom.random(); numpy.random.rand(3); torch.rand(9)\n"
                     "def first():\n    torch.randn(5); random.random()\n    return 1\n", True),
    "writes_files_and_moves": ("import os\nopen('leftover.txt', 'w').write('x')\nos.mkdir('sub')\n"
                               "def first():\n    os.chdir('sub')\n    return 1\n", True),
    "imports_own_helper": ("import os, sys\nopen('helper_mod.py', 'w').write('X = 1')\nsys.path.append('.')\n"
                           "import helper_mod\ndef first():\n    return helper_mod.X\n", True),
    "sets_environment": ("import os\nos.environ['LEFTOVER'] = '1'\ndef first():\n    return 1\n", True),
    # not restorable: the second exercise gets a fresh worker
    # (each call starts from float32 and grad mode on: what the last call left is what counts)
    "default_dtype": ("import torch\ndef first():\n    torch.set_default_dtype(torch.float64)\n    return 1\n", False),
    "grad_mode": ("import torch\ndef first():\n    torch.set_grad_enabled(False)\n    return 1\n", False),
    "thread_left_running": ("import threading, time\n"
                            "threading.Thread(target=time.sleep, args=(300,), daemon=True).start()\n"
                            "def first():\n    return 1\n", False),
    "torch_threads": ("import torch\ntorch.set_num_threads(1)\ndef first():\n    return 1\n", False),
    "module_hook": ("import torch\ntorch.nn.modules.module.register_module_forward_hook(lambda m, i, o: o)\n"
                    "def first():\n    return 1\n", False),
    "alarm": ("import signal\nsignal.signal(signal.SIGALRM, lambda *a: None)\nsignal.alarm(300)\n"
              "def first():\n    return 1\n", False),
    "warnings_filter": ("import warnings\nwarnings.simplefilter('error')\ndef first():\n    return 1\n", False),
    "builtins": ("import builtins\nbuiltins.print = lambda *a, **k: None\ndef first():\n    return 1\n", False),
    "child_process": ("import os, time\nif os.fork() == 0:\n    time.sleep(300)\n    os._exit(0)\n"
                      "def first():\n    return 1\n", False),
    "holds_memory": ("import torch\nKEEP = torch.ones(100_000_000)\ndef first():\n    return 1\n", False),
    "lowers_its_limits": ("import resource\nresource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))\n"
                          "def first():\n    return 1\n", False),
    "tampers": ("import torch\ntorch.nn.functional.relu = lambda x, inplace=False: x\n"
                "def first():\n    return 1\n", False),
    "crashes": ("import os\ndef first():\n    os._exit(3)\n", False),
}


def _course(root: Path) -> Path:
    files = {"course.toml": COURSE, "solutions/ch1/first.py": HONEST,
             "solutions/ch1/test_first_hidden.py": FIRST_CHECK, "solutions/ch2/second.py": SECOND,
             "exercises/ch2/test_second.py": SECOND_CHECK}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _exercises(out: Path) -> dict[str, dict]:
    doc = json.loads((out / "grades.json").read_text())
    return {s["student"]: s["exercises"] for s in doc["students"]}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, module_kit):
    run_grader = module_kit.run_grader
    base = tmp_path_factory.mktemp("isolation")
    course = _course(base / "course")
    subs = base / "class"
    for name, (code, _) in LEAVES.items():
        for rel, text in (("ch1/first.py", code), ("ch2/second.py", SECOND)):
            (subs / name / rel).parent.mkdir(parents=True, exist_ok=True)
            (subs / name / rel).write_text(textwrap.dedent(text))
    outs = {}
    for mode in ("exercise", "student"):
        outs[mode] = base / mode
        proc = run_grader(course, subs, "--out", outs[mode], "--isolation", mode, timeout=600)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {mode: _exercises(out) for mode, out in outs.items()}


def _message(exercises: dict) -> str:
    return exercises["ch2.second"]["checks"][0]["message"]


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_the_next_exercise_finds_what_a_fresh_worker_has(graded, name):
    fresh, reused = graded["exercise"][name], graded["student"][name]
    assert _message(reused) == _message(fresh)
    assert "not this" in _message(fresh)     # the check ran and showed what it found
    for ex in ("ch1.first", "ch2.second"):
        assert (reused[ex]["score"], reused[ex]["status"]) == (fresh[ex]["score"], fresh[ex]["status"])


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_a_worker_is_reused_only_when_nothing_is_left(graded, name):
    worker = graded["student"][name]["ch2.second"]["worker"]
    restorable = LEAVES[name][1]
    assert worker["reused"] is restorable, worker
    if not restorable and name not in ("crashes", "tampers"):
        assert worker["not_reused"], worker    # the judge was told why
    assert "reused" not in graded["exercise"][name]["ch2.second"]["worker"]


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("assignment", [None, "hw1"])
def test_the_demo_class_grades_the_same_in_both_modes(tmp_path, module_kit, assignment):
    outs = {}
    for mode in ("exercise", "student"):
        outs[mode] = tmp_path / mode
        args = ["--isolation", mode] + (["--assignment", assignment] if assignment else [])
        proc = module_kit.run_grader(ROOT, ROOT / "examples" / "submissions", "--out", outs[mode], *args, timeout=1800)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        if assignment:
            outs[mode] = outs[mode] / assignment
    assert (outs["student"] / "grades.csv").read_bytes() == (outs["exercise"] / "grades.csv").read_bytes()
    from grader.validate import graded_outcomes
    fresh, reused = graded_outcomes(outs["exercise"]), graded_outcomes(outs["student"])
    assert reused == fresh
    workers = [e["worker"] for s in json.loads((outs["student"] / "grades.json").read_text())["students"]
               for e in s["exercises"].values() if e.get("worker")]
    assert any(w["reused"] for w in workers)       # the mode did reuse workers


def test_every_variant_grades_the_same_in_both_modes(tmp_path):
    """`grader validate --isolation both` on every variant of three exercises (CI runs the
    whole course for students t00..t03, `--students 4`):
    student tNN hands in the NN-th variant of every exercise, so a student's exercises are
    different variants, each of which must be graded as in a worker of its own."""
    from grader.course import load_course
    from grader.validate import in_both_modes
    outcomes, problems, _ = in_both_modes(load_course(ROOT), ["ch2.storage", "ch3.softmax", "ch5.checkpoints"],
                                          tmp_path, jobs=2)
    assert problems == []
    assert outcomes and all(o.ok for o in outcomes), [(o.target.name, o.note) for o in outcomes if not o.ok]


def test_a_sample_of_students_hands_in_only_their_targets():
    """CI's cheaper form (`--students N`): students t00..t(N-1), each with every exercise's
    target of that index, graded in both modes; the sample is the same targets in either."""
    from click.testing import CliRunner

    from grader.cli import main
    from grader.course import load_course
    from grader.validate import targets_for
    found, _ = targets_for(load_course(ROOT).exercise("ch2.storage"))
    result = CliRunner().invoke(main, ["--course", str(ROOT), "validate", "--exercise", "ch2.storage",
                                       "--isolation", "both", "--students", "2", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "all 2 targets behave as expected" in result.output
    assert found[2].name not in result.output      # the third target (t02) was not handed in


def test_a_sample_without_the_sandbox_is_a_usage_error():
    from click.testing import CliRunner

    from grader.cli import main
    result = CliRunner().invoke(main, ["--course", str(ROOT), "validate", "--students", "2"])
    assert result.exit_code == 2 and "give --isolation too" in result.output


def test_graded_outcomes_compare_what_the_student_is_told(tmp_path):
    """Two runs differ in the random names of a worker's directories and, in "student" mode, in a
    warning torch prints once per process (the benchmark's 20-student class: ch3.training,
    ch5.checkpoints); neither is a grade. A point or a message that differs is."""
    from grader.validate import graded_outcomes

    def doc(where: str, stderr: str, points: float) -> Path:
        check = {"name": "test_resume", "status": "error", "points": points, "detail": "",
                 "message": f"FileNotFoundError: '/tmp/{where}/tg-scratch-a1b2c3d4/model_epoch1.pt'"}
        exercise = {"score": points, "status": "graded", "counted": points, "state": "graded", "message": "",
                    "tampering": [], "notes": [], "findings": [], "checks": [check],
                    "worker": {"stdout": "", "stderr": stderr, "reused": True}}
        out = tmp_path / f"{where}-{points}"
        out.mkdir()
        (out / "grades.json").write_text(json.dumps({"students": [
            {"student": "s1", "total": points, "max": 10, "grade": {"final": points},
             "exercises": {"ch5.checkpoints": exercise}}]}))
        return out

    warn = "/tmp/tg-w-5yiftm52/training.py:33: UserWarning: Converting a tensor with requires_grad=True"
    fresh = graded_outcomes(doc("tg-w-kow_ky5o", warn, 7.0))
    assert graded_outcomes(doc("tg-w-d1io2dkt", "", 7.0)) == fresh
    assert graded_outcomes(doc("tg-w-zzicim_x", "", 6.0)) != fresh
    assert graded_outcomes(doc("elsewhere", "", 7.0)) != fresh
