"""Collect the checks of an exercise and run them against one student: the same functions
pytest runs, called here with the fixtures they ask for, each outcome turned into a status."""

from __future__ import annotations

import hashlib
import inspect
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import torch

from grader import student_view
from grader.checks import refcache
from grader.checks.student_errors import (NO_D2L, ForbiddenCall, LoadError, MissingSymbol, StudentError,
                                  StudentException, StudentTimeout, Tampering)
from grader.checks.executor import _is_allocation_failure, import_file
from grader.checks.expect import CheckFailure
from grader.checks.registry import CheckInfo, info_of
from grader.course import Course, CourseError, Exercise
from grader.results import STATUSES, CheckResult

TAMPERING_SUMMARY = "your code changed the grader's own code; the exercise scores 0 and the instructor is told"
FIXTURES = ("student", "reference", "device", "rng")


@dataclass(frozen=True)
class Check:
    exercise: str
    name: str
    fn: Any = field(repr=False, compare=False)
    info: CheckInfo
    visible: bool
    path: Path
    seed: int

    @property
    def id(self) -> str:
        return f"{self.exercise}::{self.name}"

    @property
    def doc(self) -> str:
        text = inspect.getdoc(self.fn) or ""
        return text.strip().splitlines()[0] if text.strip() else self.name.removeprefix("test_").replace("_", " ")


_module_cache: dict[Path, ModuleType] = {}


def load_module(path: Path, prefix: str) -> ModuleType:
    """Import a check module or reference solution in the judge, once per process."""
    path = Path(path).resolve()
    if path not in _module_cache:
        digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
        _module_cache[path] = import_file(path, f"{prefix}_{path.stem}_{digest}")
    return _module_cache[path]


def check_seed(check_id: str, salt: bytes) -> int:
    return int.from_bytes(hashlib.sha256(salt + b"\0" + check_id.encode()).digest()[:7], "big")


def seed_salt(path: Path, visible: bool) -> bytes:
    """Visible tests use a fixed salt; hidden checks salt with their own (secret) file content,
    so their inputs cannot be guessed from anything a student has."""
    return b"visible" if visible else hashlib.sha256(Path(path).read_bytes()).digest()


def checks_in_module(module: ModuleType, path: Path, visible: bool) -> list[Check]:
    exercise = getattr(module, "EXERCISE", None)
    if not isinstance(exercise, str):
        raise CourseError(f"{path}: declare which exercise it checks, e.g. EXERCISE = \"ch4.dropout\"")
    salt = seed_salt(path, visible)
    found = []
    for name, fn in vars(module).items():
        info = info_of(fn)
        if info is None or not callable(fn):
            continue
        check_id = f"{exercise}::{name}"
        found.append(Check(exercise, name, fn, info, visible, Path(path), check_seed(check_id, salt)))
    return found


def collect_checks(course: Course, exercise_id: str, *, hidden: bool = True) -> list[Check]:
    ex = course.exercise(exercise_id)
    paths = [(ex.visible_tests_path, True)]
    if hidden:
        paths.append((ex.hidden_checks_path, False))
    checks: list[Check] = []
    where: dict[str, Path] = {}
    for path, visible in paths:
        if not path.is_file():
            continue
        module = load_module(path, "torchgrade_checks")
        for c in checks_in_module(module, path, visible):
            if c.exercise != ex.id:
                raise CourseError(f"{path}: EXERCISE = {c.exercise!r}, but the file belongs to {ex.id!r}")
            if c.id in where:
                # a check id names one check in the gradebook, grades.json and the class report
                raise CourseError(f"{path}: {c.name} is also a check in {where[c.id]}: give one of them "
                                  "another name")
            where[c.id] = path
            checks.append(c)
    return checks


def load_reference(exercise: Exercise) -> ModuleType | None:
    if not exercise.solution_path.is_file():
        return None
    return load_module(exercise.solution_path, "torchgrade_reference")


def skipped_result(check: Check, policy: str, device: str) -> CheckResult:
    pts = check.info.points
    earned, maximum, why = {
        "skip": (0.0, 0.0, "left out of the maximum"),
        "award": (pts, pts, "points awarded"),
        "zero": (0.0, pts, "no points"),
    }[policy]
    message = f"needs a CUDA GPU and this machine has none (course policy '{policy}': {why})"
    return CheckResult(check.id, check.name, check.visible, "skipped", earned, maximum, message,
                       device=device, summary=message, title=check.doc)


def safe_summary(exc: BaseException, check: Check) -> str:
    """The text about a failure that a hidden check may show: written by the engine or the
    check's author, never a student's exception text or a name their code chose."""
    if isinstance(exc, CheckFailure):
        return exc.summary
    if isinstance(exc, (ForbiddenCall, MissingSymbol, StudentTimeout)):
        return exc.message
    if isinstance(exc, StudentException):
        symbol = exc.message.split(" ", 1)[0]
        if exc.exc_type == "NotImplementedError" and exc.message.startswith(f"{symbol} is not implemented yet"):
            return f"{symbol} is not implemented yet"
        return student_view.raised_summary(symbol)
    if isinstance(exc, LoadError) and exc.message == NO_D2L:
        return NO_D2L
    if isinstance(exc, Tampering):
        return TAMPERING_SUMMARY
    if isinstance(exc, StudentError):
        return {"failed": "returned something that is not plain data (tensors, numbers, strings, "
                          "lists, tuples, dicts)",
                "error": "your file could not be imported (the visible checks show why)",
                "oom": "ran out of memory", "crashed": "the process running your code died",
                }.get(exc.status, exc.status)
    if isinstance(exc, AssertionError):
        return f"{check.doc}: assertion failed"
    return f"unexpected result: the check could not use it ({type(exc).__name__})"


def run_check(check: Check, *, student: Any, reference_module: ModuleType | None, device: torch.device,
              gpu_available: bool, gpu_policy: str = "skip", timeout: float | None = None,
              budget: float | None = None) -> CheckResult:
    """timeout: seconds one call to student code may take (the check's own, else this).
    budget: seconds this check's calls may spend *waiting* (sleeping, blocked) rather than
    computing; the judge derives it from the reference's own time."""
    if check.info.gpu and not gpu_available:
        return skipped_result(check, gpu_policy, str(device))
    fixtures = {"student": student, "reference": reference_module, "device": device,
                "rng": torch.Generator().manual_seed(check.seed)}
    params = list(inspect.signature(check.fn).parameters)
    unknown = [p for p in params if p not in FIXTURES]
    result = CheckResult(check.id, check.name, check.visible, "error", 0.0, check.info.points,
                         device=str(device), title=check.doc)
    if unknown:
        result.message = f"check asks for unknown fixture(s) {unknown}; known: {list(FIXTURES)}"
        return result
    if "reference" in params and reference_module is None:
        result.message = "check needs the reference solution, which is not available here"
        return result
    if hasattr(student, "timeout"):
        student.timeout = check.info.timeout or timeout
    if hasattr(student, "_begin_check"):
        student._begin_check(budget)
    start = time.perf_counter()
    try:
        with refcache.running_check(check.id, check.seed):
            check.fn(**{p: fixtures[p] for p in params})
    except CheckFailure as exc:
        result.status = "failed"
        result.message = exc.summary + (f"\n{exc.detail}" if check.visible and exc.detail else "")
        result.detail = exc.detail
        result.summary = safe_summary(exc, check)
    except StudentError as exc:
        result.status = exc.status
        result.message = exc.message
        result.detail = exc.detail
        result.summary = safe_summary(exc, check)
    except AssertionError as exc:  # a bare assert in a check
        result.status = "failed"
        text = str(exc).strip()
        result.message = (text.splitlines()[0] if text else f"{check.doc}: assertion failed")
        result.detail = text
        result.summary = safe_summary(exc, check)
    except Exception as exc:  # noqa: BLE001 - the check choked on what the student returned
        if isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and _is_allocation_failure(exc)):
            # the judge itself could not hold what came back: this student's failure, and the
            # judge (under its own memory cap) lives on for the next one
            result.status = "oom"
            result.message = result.summary = ("the grader ran out of memory handling your code's result; "
                                               "return values of the size the exercise asks for")
            result.detail = f"{type(exc).__name__}: {str(exc)[:300]}"
            result.seconds = round(time.perf_counter() - start, 4)
            return result
        result.status = "failed"
        result.message = f"unexpected result: the check could not use it ({type(exc).__name__}: {exc})"[:500]
        result.detail = repr(exc)
        result.summary = safe_summary(exc, check)
    else:
        result.status = "passed"
        result.points = check.info.points
    result.seconds = round(time.perf_counter() - start, 4)
    return result


def run_checks(checks: list[Check], student: Any, *, reference_module: ModuleType | None,
               device: torch.device | str = "cpu", gpu_policy: str = "skip",
               gpu_available: bool | None = None, check_timeout: float | None = None,
               budgets: dict[str, float] | None = None) -> list[CheckResult]:
    """budgets: check id -> seconds that check's student calls may spend waiting."""
    device = torch.device(device)
    reference: Any = reference_module
    if reference is not None:   # its direct calls memoised per check (refcache.py)
        reference = refcache.cached_reference(reference)
    if gpu_available is None:
        gpu_available = torch.cuda.is_available()
    budgets = budgets or {}
    return [run_check(c, student=student, reference_module=reference, device=device,
                      gpu_available=gpu_available, gpu_policy=gpu_policy, timeout=check_timeout,
                      budget=budgets.get(c.id))
            for c in checks]


def exercise_score(results: list[CheckResult], exercise: Exercise) -> tuple[float, float]:
    """Check points scaled to the exercise's points in course.toml. Checks left out by the GPU
    policy 'skip' have max 0, so the other checks carry the whole exercise. A submission caught
    tampering with the engine in any check scores 0 for the whole exercise."""
    if any(r.status == "tampering" for r in results):
        return 0.0, exercise.points
    earned = sum(r.points for r in results)
    available = sum(r.max_points for r in results)
    if available <= 0:
        return 0.0, 0.0
    return round(exercise.points * earned / available, 4), exercise.points


__all__ = ["Check", "collect_checks", "run_check", "run_checks", "exercise_score",
           "load_reference", "load_module", "STATUSES"]
