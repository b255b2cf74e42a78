"""`check("ch4.dropout")`: the visible checks of an exercise, run inside a notebook against the
functions and classes the notebook defined.

Where the checks come from, first that has the exercise's visible test file wins (the order of
`grader.course.course_roots`, which nbgrader's cells use too):

1. `course_root=` or the environment variable TORCHGRADE_COURSE (a folder holding course.toml);
2. the course found from the current folder upwards (a notebook opened inside the course
   repository or the student release, e.g. in `exercises/ch4/`);
3. the course that came with the installed package (`grader.course.installed_course_root`): the
   copy of course.toml and the visible tests a wheel carries (Colab: nothing but the notebook
   and `pip install <course>`), or the repository around an editable install.

The checks run in this process through the same `Student` proxy and codec as under pytest, so a
check sees exactly what it would see in the grader: plain data, forbidden calls reported as such.
"""

from __future__ import annotations

import difflib
import inspect
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

from typing import Any, Mapping

import torch

from grader.checks.runner import collect_checks, run_checks
from grader.checks.student import local_student
from grader.course import Course, CourseError, Exercise, course_roots, load_course
from grader.results import CheckResult, points_text, status_mark
from grader.student_view import student_message

MAX_MESSAGE_LINES = 8



@dataclass
class CheckSummary:
    """What `check()` found: one CheckResult per visible check and the points."""

    exercise: str
    title: str
    results: list[CheckResult] = field(default_factory=list)
    earned: float = 0.0
    available: float = 0.0
    device: str = "cpu"
    course_root: str = ""
    symbols: tuple[str, ...] = ()

    @property
    def passed(self) -> int:
        return sum(r.status == "passed" for r in self.results)

    @property
    def all_passed(self) -> bool:
        return bool(self.results) and all(r.status in ("passed", "skipped") for r in self.results)

    def lines(self) -> list[str]:
        out = [f"{self.exercise} ({self.title}): {len(self.results)} visible checks on {self.device}"]
        for r in self.results:
            mark = status_mark(r.status)
            head = f"  {mark} {r.name.removeprefix('test_')} ({points_text(r.points)}/{points_text(r.max_points)})"
            if r.status != "passed":
                head += f" [{r.status}]"
            # The engine's wording assumes a file; here the student's code lives in the notebook.
            text = student_message(r).replace("defined in your file", "defined in this notebook")
            msg = [ln for ln in text.splitlines() if ln.strip()]
            if r.status == "passed" or not msg:
                out.append(head)
                continue
            if len(msg) > MAX_MESSAGE_LINES:
                msg = msg[:MAX_MESSAGE_LINES] + [f"... ({len(msg) - MAX_MESSAGE_LINES} more lines)"]
            out.append(f"{head}: {msg[0]}")
            out.extend(f"        {ln}" for ln in msg[1:])
        out.append(str(self))
        return out

    def __str__(self) -> str:
        verdict = "all visible checks pass" if self.all_passed else \
            f"{self.passed} of {len(self.results)} checks passed"
        return (f"{self.exercise}: {points_text(self.earned)}/{points_text(self.available)} visible points "
                f"({verdict}; the grader also runs hidden checks)")

    def __repr__(self) -> str:
        return (f"CheckSummary({self.exercise!r}: {points_text(self.earned)}/{points_text(self.available)} visible points, "
                f"{self.passed}/{len(self.results)} checks passed)")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # IPython shows the returned summary right after the printed lines: keep it to one
        # compact line instead of repeating the report.
        printer.text(repr(self))


# ---------------------------------------------------------------- finding the course

def find_exercise(exercise_id: str, course_root: str | Path | None = None) -> tuple[Course, Exercise]:
    """The course (and exercise) whose visible tests `check` runs; see the module docstring."""
    tried = []
    courses: list[Course] = []
    for root in course_roots(course_root):
        if not (root / "course.toml").is_file():
            tried.append(f"{root}: no course.toml")
            continue
        try:
            course = load_course(root)
        except CourseError as exc:
            tried.append(f"{root}: {exc}")
            continue
        courses.append(course)
        if exercise_id not in course.exercises:
            tried.append(f"{course.root}: no exercise {exercise_id!r}")
            continue
        ex = course.exercises[exercise_id]
        if not ex.visible_tests_path.is_file():
            tried.append(f"{course.root}: no visible tests {ex.visible_tests_path.name}")
            continue
        return course, ex
    if course_root is not None and not tried:
        tried.append(str(course_root))
    known = [e for c in courses for e in c.exercises]
    if courses and exercise_id not in known:
        near = difflib.get_close_matches(exercise_id, known, n=1, cutoff=0.6)
        raise CourseError(f"no exercise {exercise_id}" + (f" (did you mean {near[0]}?)" if near else
                                                           f" (exercises: {', '.join(known)})"))
    raise CourseError(f"cannot find the checks of {exercise_id!r}; looked in: " + "; ".join(tried))


# ---------------------------------------------------------------- the namespace

def _caller_namespace(depth: int = 2) -> dict[str, Any]:
    """The IPython user namespace when running in IPython/Jupyter/Colab, else the globals of the
    code that called `check` (a script, a test)."""
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except Exception:  # noqa: BLE001 - IPython missing or not running
        shell = None
    frame = inspect.currentframe()
    try:
        for _ in range(depth):
            frame = frame.f_back if frame is not None else None
        caller = dict(frame.f_globals) if frame is not None else {}
    finally:
        del frame
    if shell is not None and getattr(shell, "user_ns", None) is not None:
        # A check() called from a cell runs with user_ns as its globals; prefer it explicitly so
        # a helper module that wraps check() still sees the notebook's definitions.
        return dict(shell.user_ns)
    return caller


def namespace_module(namespace: Mapping[str, Any], name: str = "notebook") -> types.ModuleType:
    """A module object holding the public names of `namespace` (what the executor looks up)."""
    module = types.ModuleType(name)
    for key, value in namespace.items():
        if isinstance(key, str) and key.isidentifier() and not key.startswith("_"):
            setattr(module, key, value)
    return module


# ---------------------------------------------------------------- check()

def run(exercise_id: str, namespace: Mapping[str, Any] | types.ModuleType, *,
        device: str | torch.device | None = None, course_root: str | Path | None = None) -> CheckSummary:
    """Run the visible checks of `exercise_id` against `namespace`; prints nothing."""
    course, ex = find_exercise(exercise_id, course_root)
    if isinstance(namespace, types.ModuleType):
        module = namespace
    else:
        module = namespace_module(namespace, f"notebook_{ex.chapter}_{ex.name}")
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' asked for, but this runtime has no CUDA GPU "
                         "(in Colab: Runtime > Change runtime type > GPU)")
    checks = collect_checks(course, ex.id, hidden=False)
    student = local_student(module, ex)
    results = run_checks(checks, student, reference_module=None, device=device,
                         gpu_policy=course.grading.gpu_policy,
                         gpu_available=torch.cuda.is_available(),
                         check_timeout=course.grading.check_timeout)
    earned = sum(r.points for r in results)
    available = sum(r.max_points for r in results)
    # Points as check points, like the pytest plugin's summary (not scaled to course.toml's).
    return CheckSummary(ex.id, ex.title, results, earned, available, str(device), str(course.root),
                        ex.symbols)


def check(exercise_id: str, namespace: Mapping[str, Any] | types.ModuleType | None = None, *,
          device: str | torch.device | None = None, course_root: str | Path | None = None,
          file: Any = None) -> CheckSummary:
    """Run the visible checks of `exercise_id` (e.g. "ch4.dropout") against the functions and
    classes defined in `namespace` (default: this notebook's), print one line per check and the
    points, and return the summary. Never raises for a wrong or missing answer."""
    if namespace is None:
        namespace = _caller_namespace()
    stream = file or sys.stdout
    try:
        summary = run(exercise_id, namespace, device=device, course_root=course_root)
    except CourseError as exc:
        # one line, not a traceback: a typo in the exercise id is the student's to fix
        print(f"error: {exc}", file=stream)
        return CheckSummary(exercise_id, str(exc))
    missing = [s for s in summary.symbols if not _defined(namespace, s)]
    if missing:
        print(f"not defined yet: {', '.join(missing)} (run the cells that define them first)", file=stream)
    for line in summary.lines():
        print(line, file=stream)
    return summary


def _defined(namespace: Mapping[str, Any] | types.ModuleType, name: str) -> bool:
    if isinstance(namespace, types.ModuleType):
        return hasattr(namespace, name)
    return name in namespace


__all__ = ["check", "run", "CheckSummary", "find_exercise", "namespace_module"]
