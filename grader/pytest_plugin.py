"""pytest plugin (registered through the `pytest11` entry point): the `student`, `reference`,
`device` and `rng` fixtures for course checks, points per exercise, and short failure reports.

`pytest exercises/ch3` checks the student's files; `pytest --solution exercises/ch3` runs the same
checks against the reference solutions in solutions/.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import torch

from grader.checks.student_errors import StudentError
from grader.checks.executor import Executor
from grader.checks.expect import CheckFailure
from grader.checks.registry import info_of
from grader.checks.runner import check_seed, load_reference, seed_salt
from grader.checks.student import Student, local_student
from grader.course import Course, CourseError, Exercise, find_course_root, load_course
from grader.results import points_text

_points = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("torchgrade")
    group.addoption("--solution", action="store_true", default=False,
                    help="run the checks against the reference solutions in solutions/ "
                         "instead of the student's files in exercises/")
    group.addoption("--submission", default=None, metavar="DIR",
                    help="run the checks against a student's folder laid out like exercises/ "
                         "(DIR/ch4/dropout.py)")
    group.addoption("--device", default="auto", choices=("auto", "cpu", "cuda"),
                    help="device the checks put their inputs on (auto: cuda when available)")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_points] = defaultdict(lambda: {"earned": 0.0, "max": 0.0, "visible": True, "hidden": False})
    config.addinivalue_line("markers", "gpu: the check needs a CUDA GPU")


# ---------------------------------------------------------------- which exercise a test belongs to

def _course_for(path: Path) -> Course | None:
    try:
        return load_course(find_course_root(path))
    except CourseError:
        return None


_courses: dict[Path, Course | None] = {}


def _exercise_of(item: Any) -> tuple[Course, Exercise] | None:
    module = getattr(item, "module", None)
    exercise_id = getattr(module, "EXERCISE", None)
    if not isinstance(exercise_id, str):
        return None
    path = Path(str(item.fspath)).resolve()
    if path.parent not in _courses:
        _courses[path.parent] = _course_for(path.parent)
    course = _courses[path.parent]
    if course is None:
        raise pytest.UsageError(f"{path}: no course.toml above this file, so exercise "
                                f"{exercise_id!r} cannot be found")
    try:
        return course, course.exercise(exercise_id)
    except CourseError as exc:
        raise pytest.UsageError(f"{path}: {exc}") from None


def _is_visible(course: Course, path: Path) -> bool:
    return not Path(path).resolve().is_relative_to((course.root / "solutions").resolve())


# ---------------------------------------------------------------- fixtures

_executors: dict[tuple[str, Path], Executor] = {}


def _target_file(config: pytest.Config, exercise: Exercise) -> Path:
    if config.getoption("--solution"):
        return exercise.solution_path
    submission = config.getoption("--submission")
    if submission:
        return Path(submission).resolve() / exercise.file
    return exercise.stub_path


@pytest.fixture
def student(request: pytest.FixtureRequest) -> Student:
    found = _exercise_of(request.node)
    if found is None:
        pytest.fail("this test module does not declare EXERCISE = \"chN.name\"", pytrace=False)
    course, exercise = found
    path = _target_file(request.config, exercise)
    key = (exercise.id, path)
    if key not in _executors:
        name = f"torchgrade_student_{exercise.chapter}_{exercise.name}_{len(_executors)}"
        _executors[key] = Executor.from_file(path, name, forbid=exercise.forbid)
    # the course's check_timeout: an infinite loop fails the test as "took too long", not hangs
    return local_student(_executors[key], exercise, timeout=course.grading.check_timeout)


@pytest.fixture
def reference(request: pytest.FixtureRequest) -> Any:
    found = _exercise_of(request.node)
    module = load_reference(found[1]) if found else None
    if module is None:
        pytest.skip("needs the reference solution (solutions/ is instructor-only)")
    return module


@pytest.fixture
def device(request: pytest.FixtureRequest) -> torch.device:
    choice = request.config.getoption("--device")
    if choice == "cuda" and not torch.cuda.is_available():
        pytest.skip("--device cuda given but no CUDA GPU is available")
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(choice)


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> torch.Generator:
    found = _exercise_of(request.node)
    path = Path(str(request.node.fspath))
    visible = _is_visible(found[0], path) if found else True
    check_id = f"{found[1].id if found else '?'}::{request.node.originalname}"
    return torch.Generator().manual_seed(check_seed(check_id, seed_salt(path, visible)))


# ---------------------------------------------------------------- gpu checks, points, reports

def pytest_runtest_setup(item: pytest.Item) -> None:
    info = info_of(getattr(item, "function", None))
    if info is not None and info.gpu and not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU; this machine has none (the grader applies the course's GPU policy)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    info = info_of(getattr(item, "function", None))
    if info is None:
        return report
    exc = call.excinfo.value if call.excinfo is not None else None
    if report.failed and isinstance(exc, (CheckFailure, StudentError)):
        doc = (getattr(item, "function").__doc__ or "").strip().splitlines()
        head = f"{item.name}" + (f" — {doc[0]}" if doc else "")
        body = f"{exc.summary}\n{exc.detail}" if isinstance(exc, CheckFailure) else \
            f"[{exc.status}] {exc.message}" + (f"\n{exc.detail}" if exc.detail else "")
        report.longrepr = f"{head}\n{body.rstrip()}"
    found = _exercise_of(item)
    if found is None or report.when not in ("setup", "call"):
        return report
    if report.when == "setup" and report.passed:
        return report
    course, exercise = found
    tally = item.config.stash[_points][exercise.id]
    if report.skipped:
        return report
    tally["max"] += info.points
    if report.passed:
        tally["earned"] += info.points
    if not _is_visible(course, Path(str(item.fspath))):
        tally["hidden"] = True
    return report


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    tallies = config.stash[_points]
    if not tallies:
        return
    target = "reference solutions" if config.getoption("--solution") else \
        (config.getoption("--submission") or "your files in exercises/")
    terminalreporter.section(f"torchgrade points ({target})")
    for exercise_id in sorted(tallies):
        t = tallies[exercise_id]
        kind = "points" if t["hidden"] else "visible points"
        terminalreporter.write_line(f"{exercise_id}: {points_text(t['earned'])}/{points_text(t['max'])} {kind}")
