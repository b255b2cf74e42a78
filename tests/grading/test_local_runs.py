"""Local runs fail gently: check() and `pytest exercises/chN` stop an infinite loop after the
course's check_timeout, and a mistyped exercise id is one line with the nearest id."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

from grader.notebook import check


def _forever(a, b):
    while True:
        try:
            time.sleep(0.01)
        except Exception:       # noqa: BLE001 - a student loop that swallows errors
            pass


def test_check_in_a_notebook_times_out(tiny_course: Path) -> None:
    out = io.StringIO()
    start = time.monotonic()
    summary = check("ch1.basics", {"add": _forever, "scale": lambda x, f: x * f},
                    course_root=tiny_course, file=out)
    assert time.monotonic() - start < 15                  # check_timeout = 3 in the tiny course
    assert summary.results[0].status == "timeout"
    assert "took too long" in out.getvalue()


def test_mistyped_exercise_is_one_line(tiny_course: Path) -> None:
    out = io.StringIO()
    summary = check("ch1.basiks", {}, course_root=tiny_course, file=out)
    assert out.getvalue() == "error: no exercise ch1.basiks (did you mean ch1.basics?)\n"
    assert summary.results == []


def test_local_pytest_times_out(tiny_course: Path) -> None:
    stub = tiny_course / "exercises" / "ch1" / "basics.py"
    stub.write_text("def add(a, b):\n    while True:\n        pass\n\n\ndef scale(x, f):\n    return x * f\n")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q",
                           str(tiny_course / "exercises" / "ch1")], capture_output=True, text=True,
                          timeout=120, cwd=tiny_course)
    assert time.monotonic() - start < 60
    assert proc.returncode != 0 and "took too long" in proc.stdout, proc.stdout[-2000:]
