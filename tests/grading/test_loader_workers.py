"""Correct training code with DataLoader worker processes keeps full marks under `grader grade`:
the sandbox lets the worker fork its loader workers, and the time they compute counts as the
worker's own (the idle budget reads the worker's whole process group)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path


def test_d2l_loaders_with_four_workers_keep_full_marks(one_exercise_course, course_root: Path, tmp_path: Path):
    course = one_exercise_course("ch3.linear_concise")
    student = tmp_path / "submissions" / "zoe" / "ch3"
    student.mkdir(parents=True)
    shutil.copy(course_root / "solutions/ch3/variants/linear_concise/d2l_loader_workers.py",
                student / "linear_concise.py")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "grader.cli", "--course", str(course), "grade",
                          str(tmp_path / "submissions"), "--out", str(out), "--jobs", "1"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    grades = json.loads((out / "grades.json").read_text())
    exercise = grades["students"][0]["exercises"]["ch3.linear_concise"]
    lost = [c for c in exercise["checks"] if c["status"] != "passed"]
    assert not lost, lost
    assert exercise["score"] == exercise["max"] == 10
