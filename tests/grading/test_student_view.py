"""One policy for what a student sees of a check: a hidden check whose student code echoes its
input (as tensor text, as base64, in a custom exception class's name, in dict keys) shows none of
it in any channel: feedback.md, Gradescope's results.json, nbgrader's test cell, `check()`."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from grader.checks.executor import Executor
from grader.checks.runner import collect_checks, load_reference, run_checks
from grader.checks.student import LocalTransport, Student
from grader.student_view import builtin_exception, student_message
from grader.course import load_course
from grader.export import nbgrader
from grader.export.gradescope import results_json
from grader.reports.grades import feedback_md
from grader.results import ExerciseResult, StudentResult

LEAKY = textwrap.dedent('''
    import base64
    import torch

    def _code(x):
        return base64.b32encode(x.numpy().tobytes()).decode().rstrip("=")

    def add(a, b):
        if isinstance(a, torch.Tensor):
            leak = type("Leak" + _code(a)[:40], (ValueError,), {})
            raise leak(f"inputs {a} and {b} / {_code(a)} / {a.flatten().tolist()}")
        return a + b

    def scale(x, factor):
        return {_code(x): 1}
''')


@pytest.fixture
def leaked(tiny_course: Path, tmp_path: Path):
    course = load_course(tiny_course)
    ex = course.exercise("ch1.basics")
    path = tmp_path / "basics.py"
    path.write_text(LEAKY)
    student = Student(LocalTransport(Executor.from_file(path, "leaky_basics", forbid=ex.forbid)), ex)
    results = run_checks(collect_checks(course, ex.id), student, reference_module=load_reference(ex),
                         device="cpu", gpu_available=False)
    by_name = {r.name: r for r in results}
    add, scale = by_name["test_add_random"], by_name["test_scale"]
    assert add.status == "error" and "Leak" in add.message and "inputs tensor(" in add.message  # instructor sees it
    assert scale.status == "failed"
    code = add.message.split("/")[1].strip()           # the base32 of the hidden input
    first_values = add.message.split("[", 1)[1][:8]      # the start of its list of values
    secrets = [code[:12], "Leak", "tensor(", first_values]
    return course, results, secrets


def _assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, (secret, text)


def test_runner_summaries_name_builtins_only(leaked) -> None:
    _course, results, secrets = leaked
    add = next(r for r in results if r.name == "test_add_random")
    assert add.summary.startswith("add raised ValueError at line ")
    scale = next(r for r in results if r.name == "test_scale")
    assert "expected a tensor, got dict" in student_message(scale)
    for r in results:
        if not r.visible:
            _assert_clean(student_message(r), secrets)
    assert builtin_exception(["LeakABC", "ValueError", "Exception"]) == "ValueError"
    assert builtin_exception(["LeakABC"]) == "an exception"


def test_every_channel_shows_the_same_safe_text(leaked, tiny_course: Path, monkeypatch) -> None:
    course, results, secrets = leaked
    checks = [replace(r, title=r.name) for r in results]
    row = StudentResult("eve", kind="folder", source="eve", exercises={"ch1.basics": ExerciseResult(
        "graded", source="ch1/basics.py", score=0.0, max=4.0, checks=checks)})
    from grader.grading.final import finalize
    feedback = feedback_md(finalize(row, course, ["ch1.basics"]), ["ch1.basics"], course)
    assert "add raised ValueError at line" in feedback
    _assert_clean(feedback, secrets)

    doc = json.dumps(results_json(StudentResult("eve", exercises={"ch1.basics": ExerciseResult(
        "graded", checks=results)}), course=course))
    assert "add raised ValueError at line" in doc
    _assert_clean(doc, secrets)

    monkeypatch.setenv(nbgrader.COURSE_ENV, str(tiny_course))
    nbgrader._state.clear()
    namespace: dict = {}
    exec(compile(LEAKY, "<notebook cell>", "exec"), namespace)
    with pytest.raises(nbgrader.CheckFailed) as failure:
        nbgrader.run_check("ch1.basics", "test_add_random", namespace, hidden=True)
    assert "add raised ValueError" in str(failure.value)
    _assert_clean(str(failure.value), secrets)
    nbgrader._state.clear()


def test_visible_checks_keep_their_whole_message(leaked) -> None:
    _course, results, _secrets = leaked
    visible = next(r for r in results if r.visible)
    assert student_message(visible) == visible.message
