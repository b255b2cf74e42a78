"""Helpers for the grading tests: a tiny synthetic course (one exercise, three checks) and a helper to build a class, so the
grading tests run in seconds and do not depend on the real course content."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

COURSE_TOML = """\
[course]
title = "Tiny course"
version = "0.1"

[grading]
check_timeout = 3
submission_timeout = 30
jobs = 1

[chapters.ch1]
title = "Basics"

[chapters.ch2]
title = "More"

[exercises.ch1.basics]
title = "Adding and scaling"
file = "ch1/basics.py"
symbols = ["add", "scale"]
points = 4

[exercises.ch2.twice]
title = "Twice"
file = "ch2/twice.py"
symbols = ["twice"]
points = 2
"""

SOLUTION = '''\
import torch


def add(a, b):
    return a + b


def scale(x, factor):
    return x * factor
'''

TWICE = '''\
def twice(x):
    return 2 * x
'''

VISIBLE = '''\
from grader.checks import check, expect

EXERCISE = "ch1.basics"


@check(points=1)
def test_add_small(student):
    """add(2, 3) is 5."""
    expect.equal(student.add(2, 3), 5, what="add(2, 3)")
'''

HIDDEN = '''\
import torch
from grader.checks import check, expect

EXERCISE = "ch1.basics"
SECRET_MARKER = "hidden-secret-7731"


@check(points=2)
def test_add_random(student, reference, rng):
    """add agrees with the reference on random tensors."""
    X = torch.randn(3, 4, generator=rng)
    Y = torch.randn(3, 4, generator=rng)
    expect.close(student.add(X, Y), reference.add(X, Y), what="add(X, Y)")


@check(points=1)
def test_scale(student, reference, rng):
    """scale multiplies every entry by the factor."""
    X = torch.randn(5, generator=rng)
    expect.close(student.scale(X, 3.5), reference.scale(X, 3.5), what="scale(X, 3.5)")
'''

TWICE_HIDDEN = '''\
from grader.checks import check, expect

EXERCISE = "ch2.twice"


@check(points=1)
def test_twice(student):
    """twice(21) is 42."""
    expect.equal(student.twice(21), 42, what="twice(21)")
'''

WRONG = SOLUTION.replace("return a + b", "return a - b")
SLOW = SOLUTION.replace("def add(a, b):\n", "def add(a, b):\n    import time\n    time.sleep(0.4)\n")



def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content) if content.startswith("\n") else content)
    return path


def grader_cmd(course: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "grader.cli", "--course", str(course), "grade", *map(str, args)]


def run_grader(course: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run(grader_cmd(course, *args), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


def make_course(root: Path) -> Path:
    files = {"course.toml": COURSE_TOML, "solutions/ch1/basics.py": SOLUTION,
             "exercises/ch1/test_basics.py": VISIBLE, "solutions/ch1/test_basics_hidden.py": HIDDEN,
             "solutions/ch2/twice.py": TWICE, "solutions/ch2/test_twice_hidden.py": TWICE_HIDDEN,
             "exercises/ch1/basics.py": SOLUTION.replace("return a + b", "raise NotImplementedError")
             .replace("return x * factor", "raise NotImplementedError")}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def run_export(course: Path, system: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`grader export SYSTEM ...` as an instructor runs it."""
    cmd = [sys.executable, "-m", "grader.cli", "--course", str(course), "export", system, *map(str, args)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, COLUMNS="200"))
