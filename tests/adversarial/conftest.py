"""Grading a small class of hand-made submissions in one real `grader grade` run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterable

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def grade_class(tmp_path_factory) -> Callable[..., Path]:
    """grade_class(students, exercises, timeout) -> the results folder, after `grader grade`
    graded `students` ({student: {relative path: source}}) on `exercises`."""
    def grade(students: dict[str, dict[str, str]], exercises: Iterable[str], timeout: int) -> Path:
        base = tmp_path_factory.mktemp("class")
        subs, out = base / "submissions", base / "results"
        for name, files in students.items():
            for rel, text in files.items():
                path = subs / name / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        only = [arg for exercise in sorted(exercises) for arg in ("--only", exercise)]
        proc = subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(subs), "--out", str(out), *only,
                               "--jobs", "2", "--timeout", str(timeout)],
                              cwd=ROOT, capture_output=True, text=True, timeout=1800)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return out
    return grade
