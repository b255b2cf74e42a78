"""One policy for what a student sees of a check: a hidden check shows its title and its status,
nothing the student's code chose. A submission that encodes its hidden input in everything it
controls (the exception's message, its class, which built-in it raises, the line it raises on, the
shape of what it returns, dict keys) reads back the same text whatever the hidden input was, in
every channel: feedback.md, Gradescope's results.json, nbgrader's test cell, `check()`."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from grader.checks.executor import Executor
from grader.checks.runner import collect_checks, load_reference, run_checks
from grader.checks.student import LocalTransport, Student
from grader.course import load_course
from grader.export import nbgrader
from grader.export.gradescope import results_json
from grader.reports.grades import feedback_md
from grader.results import ExerciseResult, StudentResult, status_word
from grader.student_view import builtin_exception, student_message

LEAKY = textwrap.dedent('''
    import base64
    import torch

    KINDS = [ValueError, TypeError, KeyError, IndexError, ZeroDivisionError, RuntimeError,
             ArithmeticError, LookupError]

    def _code(x):
        return base64.b32encode(x.numpy().tobytes()).decode().rstrip("=")

    def _bits(x):
        return int(abs(float(x.flatten()[0])) * 1000)

    def add(a, b):
        if not isinstance(a, torch.Tensor):
            return a + b
        v = _bits(a)
        kind = KINDS[v % 8]
        message = f"inputs {a} and {b} / {_code(a)} / {a.flatten().tolist()}"
        if v // 8 % 4 == 0:
            raise kind(message)
        if v // 8 % 4 == 1:
            raise type("Leak" + _code(a)[:40], (kind,), {})(message)
        if v // 8 % 4 == 2:
            raise kind(message)
        raise kind(message)

    def scale(x, factor):
        if _bits(x) % 2:
            return {_code(x): 1}
        return torch.zeros(_bits(x) + 1)
''')


def _run(course, seed_shift: int = 0):
    """The tiny course's checks against LEAKY, the hidden ones with their seeds shifted (other
    hidden inputs)."""
    ex = course.exercise("ch1.basics")
    checks = [c if c.visible else replace(c, seed=c.seed + seed_shift) for c in collect_checks(course, ex.id)]
    path = course.root / "leaky_basics.py"
    path.write_text(LEAKY)
    student = Student(LocalTransport(Executor.from_file(path, f"leaky_basics_{seed_shift}", forbid=ex.forbid)), ex)
    return run_checks(checks, student, reference_module=load_reference(ex), device="cpu", gpu_available=False)


@pytest.fixture
def runs(tiny_course: Path):
    course = load_course(tiny_course)
    first, second = _run(course), _run(course, seed_shift=1)
    hidden = [r for r in first if not r.visible]
    assert hidden and all(r.status in ("error", "failed") for r in hidden)
    add = next(r for r in first if r.name == "test_add_random")
    assert "inputs tensor(" in add.message                  # the instructor sees what was raised
    other = next(r for r in second if r.name == "test_add_random")
    assert other.message != add.message                      # the two runs had other hidden inputs
    return course, first, second


def _row(results) -> StudentResult:
    return StudentResult("eve", kind="folder", source="eve", exercises={"ch1.basics": ExerciseResult(
        "graded", source="ch1/basics.py", score=0.0, max=4.0, checks=list(results))})


def test_a_hidden_check_shows_only_its_status(runs) -> None:
    _course, first, second = runs
    for r in first + second:
        if not r.visible:
            assert student_message(r) == ""
    add = next(r for r in first if r.name == "test_add_random")
    assert add.summary == "add raised an exception"          # no class, no line
    assert builtin_exception(["LeakABC", "ValueError", "Exception"]) == "ValueError"
    assert builtin_exception(["LeakABC"]) == "an exception"


def test_every_channel_reads_the_same_whatever_the_hidden_input(runs, tiny_course: Path, monkeypatch) -> None:
    course, first, second = runs
    from grader.grading.final import finalize
    feedback = [feedback_md(finalize(_row(rs), course, ["ch1.basics"]), ["ch1.basics"], course)
                for rs in (first, second)]
    assert feedback[0] == feedback[1]
    for r in first:
        if not r.visible:
            line = f"- ❌ NOT PASSED: {r.label} (hidden check) — **{status_word(r.status)}** (0 / {r.max_points:g} pt)"
            assert line in feedback[0].splitlines(), (line, feedback[0])
    docs = [results_json(_row(rs), course=course) for rs in (first, second)]
    assert json.dumps(docs[0]) == json.dumps(docs[1])
    for test in docs[0]["tests"]:
        if "hidden" in test["name"]:
            assert test["output"] in {status_word(r.status) for r in first}, test

    monkeypatch.setenv(nbgrader.COURSE_ENV, str(tiny_course))
    nbgrader._state.clear()
    namespace: dict = {}
    exec(compile(LEAKY, "<notebook cell>", "exec"), namespace)
    with pytest.raises(nbgrader.CheckFailed) as failure:
        nbgrader.run_check("ch1.basics", "test_add_random", namespace, hidden=True)
    assert str(failure.value) == "error: hidden check of ch1.basics"
    nbgrader._state.clear()


def test_visible_checks_keep_their_whole_message(runs) -> None:
    _course, first, _second = runs
    visible = next(r for r in first if r.visible)
    assert student_message(visible) == visible.message
