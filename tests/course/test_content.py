"""The course through the student's own path: plain pytest on exercises/ and solutions/."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader.course import load_course

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course(ROOT)


def run_pytest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_every_exercise_has_its_files():
    for ex in COURSE.exercises.values():
        for path in (ex.solution_path, ex.stub_path, ex.visible_tests_path, ex.hidden_checks_path):
            assert path.is_file(), f"{ex.id}: missing {path.relative_to(ROOT)}"


def test_solutions_pass_every_visible_and_hidden_check():
    proc = run_pytest("--solution", "exercises", "solutions")
    assert proc.returncode == 0, proc.stdout[-4000:]
    for ex in COURSE.exercises:
        line = re.search(rf"^{re.escape(ex)}: (\S+)/(\S+) points$", proc.stdout, re.M)
        assert line and line.group(1) == line.group(2), (ex, proc.stdout[-2000:])


def test_stubs_fail_every_visible_check_with_clear_messages():
    proc = run_pytest("exercises", "-rN")
    assert proc.returncode == 1, proc.stdout[-4000:]
    assert "error" not in proc.stdout.splitlines()[-1], proc.stdout[-2000:]  # failures, not crashes
    assert "Traceback" not in proc.stdout
    assert "not implemented yet" in proc.stdout
    for ex in COURSE.exercises:
        assert re.search(rf"^{re.escape(ex)}: 0/\S+ visible points$", proc.stdout, re.M), ex


@pytest.mark.parametrize("exercise", sorted(COURSE.exercises))
def test_visible_tests_need_no_solutions(exercise):
    ex = COURSE.exercises[exercise]
    text = ex.visible_tests_path.read_text()
    assert not re.search(r"^\s*(from|import)\s+solutions\b", text, re.M), "visible tests must not import solutions"
    assert not re.search(r"def test_\w+\([^)]*\breference\b", text), "visible tests must not use `reference`"
