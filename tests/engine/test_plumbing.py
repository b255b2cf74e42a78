"""The shared plumbing: one atomic write, one reading of the solution markers, one settings object,
one selector of exercises, one search for the course, one way to make a local Student."""

from __future__ import annotations

import os
import types
from pathlib import Path

import pytest
import torch

from grader.atomic import atomic_write
from grader.course import COURSE_ENV, CourseError, context_course, course_roots, load_course
from grader.markers import BEGIN, END, HINT, answer_lines

ROOT = Path(__file__).resolve().parents[2]


def test_atomic_write_replaces_a_planted_link_without_following_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    target = tmp_path / "results" / "results.json"
    target.parent.mkdir()
    target.symlink_to(victim)
    atomic_write(target, "{}\n")
    assert not target.is_symlink() and target.read_text() == "{}\n"
    assert victim.read_text() == "keep me"
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
    assert sorted(os.listdir(target.parent)) == ["results.json"]      # no temporary file left


def test_answer_lines_leave_hints_and_code_outside_the_markers_out() -> None:
    source = f"def f(x):\n    {BEGIN}\n    {HINT} add one\n    return x + 1\n    {END}\n\nprint(f(1))\n"
    assert answer_lines(source) == ["    return x + 1"]


def test_the_exporters_share_the_markers() -> None:
    import grader.authoring as authoring
    import grader.export.nbgrader as nbgrader
    import grader.export.release as release
    assert (authoring.BEGIN, authoring.END, authoring.HINT) == (BEGIN, END, HINT)
    assert (nbgrader.BEGIN_SOLUTION, nbgrader.END_SOLUTION, nbgrader.HINT) == (BEGIN, END, HINT)
    assert release._solution_blocks is answer_lines


def test_judge_settings_are_one_object_and_no_module_writes_the_judges_global() -> None:
    import inspect

    import grader.grading.scheduler as scheduler
    from grader.grading.judge import JudgeSettings
    settings = JudgeSettings(course_root=Path("."), exercises=("a",), device="cpu", submission_timeout=60,
                             check_timeout=10, gpu_policy="skip", memory_mb=4096, max_processes=64,
                             output_limit_kb=64)
    assert settings.key() == {"device": "cpu", "submission_timeout": 60, "check_timeout": 10,
                              "gpu_policy": "skip", "memory_mb": 4096, "max_processes": 64,
                              "backend": "sandbox"}
    assert not hasattr(settings, "extra") and not hasattr(settings, "backend")
    assert "_JUDGE" not in inspect.getsource(scheduler)


# ---------------------------------------------------------------------------- selecting exercises

def test_one_selector_serves_grade_gradescope_and_nbgrader(tmp_path: Path) -> None:
    from grader.export.gradescope import build_package
    from grader.export.nbgrader import export_course

    course = load_course(ROOT)
    assert course.select() == list(course.exercises)
    assert course.select(assignment="ch4") == [e for e in course.exercises if e.startswith("ch4.")]
    assert course.select(assignment="hw1") == list(course.assignments["hw1"].exercises)
    assert course.select(["ch4.dropout", "ch3.softmax"]) == ["ch3.softmax", "ch4.dropout"]   # course order
    assert course.select(["ch4.dropout", "ch3.softmax"], "ch4") == ["ch4.dropout"]
    with pytest.raises(CourseError, match=r"unknown exercise 'ch4.dropuot' \(course.toml has: ch2.tensors"):
        course.select(["ch4.dropuot"])
    with pytest.raises(CourseError, match="'ch9' is neither an assignment of course.toml .* nor a chapter"):
        course.select(assignment="ch9")
    with pytest.raises(CourseError, match="no exercise of 'ch4' is selected"):
        course.select(["ch3.softmax"], "ch4")
    # the exporters answer with the selector's words, before any work
    for export in (lambda: build_package(course, tmp_path / "gs.zip", assignment="ch9"),
                   lambda: export_course(course, tmp_path / "nb", assignment="ch9")):
        with pytest.raises(CourseError, match="neither an assignment"):
            export()
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------------------- finding the course

def test_the_course_is_looked_for_in_one_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.course import installed_course_root
    from grader.export import nbgrader

    installed = installed_course_root()
    assert installed is not None        # an editable install: the repository around the package
    monkeypatch.chdir(tmp_path)          # no course.toml above a fresh temporary folder
    monkeypatch.delenv(COURSE_ENV, raising=False)
    assert course_roots() == [installed] and nbgrader._course_root() == installed
    monkeypatch.setenv(COURSE_ENV, str(tmp_path / "env"))
    assert course_roots(tmp_path / "given") == [tmp_path / "given", tmp_path / "env", installed]
    assert nbgrader._course_root() == tmp_path / "env"
    (tmp_path / "here" / "deep").mkdir(parents=True)
    (tmp_path / "here" / "course.toml").write_text("")
    monkeypatch.chdir(tmp_path / "here" / "deep")
    monkeypatch.delenv(COURSE_ENV)
    assert course_roots() == [(tmp_path / "here").resolve(), installed]


def test_commands_find_their_course_through_the_group() -> None:
    root_ctx = types.SimpleNamespace(obj={"course_root": ROOT})
    ctx = types.SimpleNamespace(find_root=lambda: root_ctx)
    assert context_course(ctx).root == ROOT
    root_ctx.obj = None                 # no --course: found from the current folder (the repository)
    assert context_course(ctx).root == load_course().root


# ---------------------------------------------------------------------------- a local Student

def test_a_local_student_from_a_file_a_module_or_an_executor(tmp_path: Path) -> None:
    from grader.checks.student_errors import ForbiddenCall, StudentTimeout
    from grader.checks.executor import Executor
    from grader.checks.student import local_student

    course = load_course(ROOT)
    ex = course.exercise("ch3.softmax")
    path = tmp_path / "softmax.py"
    path.write_text("import time\nimport torch\n\n"
                    "def softmax(X):\n    return torch.softmax(X, dim=1)\n\n"
                    "def slow():\n    time.sleep(5)\n")
    X = torch.ones(2, 3)
    from_file = local_student(path, ex, module_name="tg_plumbing_softmax")
    with pytest.raises(ForbiddenCall, match="softmax"):       # the exercise's forbidden built-ins apply
        from_file.softmax(X)
    module = types.ModuleType("notebook")
    module.softmax = lambda X: X / X.sum(dim=1, keepdim=True)
    assert torch.allclose(local_student(module, ex).softmax(X), torch.full((2, 3), 1 / 3))
    executor = Executor.from_file(path, "tg_plumbing_softmax_free")           # no exercise: nothing forbidden
    assert torch.allclose(local_student(executor).softmax(X), torch.full((2, 3), 1 / 3))
    with pytest.raises(StudentTimeout, match="took too long"):
        local_student(executor, timeout=0.2).slow()
    assert repr(local_student(str(path), ex)) == "<student code for ch3.softmax>"
