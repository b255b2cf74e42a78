"""nbgrader interoperability: export the course as an nbgrader course folder, and the helper the
exported test cells call to run our checks inside the notebook's kernel.

`grader nbgrader export COURSE_DIR` writes

    COURSE_DIR/nbgrader_config.py
    COURSE_DIR/source/<chN>/<name>.ipynb     one notebook per exercise, from the single source

The notebook is the reference solution converted with jupytext, with nbgrader cell metadata:
markdown and plain code cells locked, code cells holding `### BEGIN SOLUTION` regions marked as
solution cells, and one autograded test cell per check. A visible check's cell calls
`run_check(...)` in the open; a hidden check's call sits between `### BEGIN HIDDEN TESTS` and
`### END HIDDEN TESTS`, which nbgrader strips from the student version and puts back when it
autogrades. The hidden check's *code* is never in the notebook: the test cell imports it from the
course (found through TORCHGRADE_COURSE, which nbgrader_config.py sets), so nbgrader's feedback
cannot show it either.

A test cell is worth its check's share of the exercise's points (course.toml), so nbgrader's
total per notebook is the exercise score `grader grade` gives. Note what nbgrader does by design:
checks run in the student's own kernel, so a hostile notebook can tamper with them.
`grader grade --nbgrader COURSE_DIR --assignment chN` grades the same submissions in the sandbox
and is the score to trust.

This module must stay cheap to import (no torch at import time): a student's notebook imports it,
and `grader grade` keeps import lines when it turns a notebook into a module.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import warnings
from pathlib import Path
from typing import Any, Iterable

from grader.course import COURSE_ENV
from grader.errors import GraderError
from grader.markers import BEGIN as BEGIN_SOLUTION, BEGIN_HIDDEN, END as END_SOLUTION, END_HIDDEN, HINT, solution_source
from grader.results import CheckResult
from grader.student_view import student_message

SCHEMA_VERSION = 3
POINT_DECIMALS = 4
_GRADE_ID = re.compile(r"[^A-Za-z0-9_-]+")


class ExportError(GraderError):
    """The course cannot be exported as asked; says what and where."""


# ---------------------------------------------------------------------------- building notebooks

def _meta(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
          points: float | None = None) -> dict:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked,
                            "schema_version": SCHEMA_VERSION, "solution": solution}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _safe_id(text: str) -> str:
    return _GRADE_ID.sub("-", text).strip("-") or "cell"


def _is_demo(source: str) -> bool:
    """A cell whose code runs only as a script (`if __name__ == "__main__":`). In a kernel
    __name__ is "__main__", so it would train and download during autograding: left out."""
    code = [ln for ln in source.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return bool(code) and re.match(r"if\s+__name__\s*==\s*['\"]__main__['\"]\s*:", code[0].strip()) is not None


def _hints_outside(source: str) -> str:
    """Move each block's `# HINT:` lines above its BEGIN marker: nbgrader replaces the whole region
    with its own stub, and the hint should survive in the student's notebook."""
    out: list[str] = []
    block_start: int | None = None
    for line in source.split("\n"):
        text = line.strip()
        if text.startswith(BEGIN_SOLUTION):
            block_start = len(out)
            out.append(line)
        elif text.startswith(END_SOLUTION):
            block_start = None
            out.append(line)
        elif block_start is not None and text.startswith(HINT):
            indent = line[: len(line) - len(line.lstrip())]
            out.insert(block_start, f"{indent}{text}")
            block_start += 1
        else:
            out.append(line)
    return "\n".join(out)


def cell_points(points: list[float], total: float) -> list[float]:
    """Share `total` among checks in proportion to their points, rounded so the shares add up to
    `total` exactly (the rounding rest goes to the largest share)."""
    raw = sum(points)
    if raw <= 0:
        return [0.0 for _ in points]
    shares = [round(total * p / raw, POINT_DECIMALS) for p in points]
    rest = round(total - sum(shares), POINT_DECIMALS)
    if rest and shares:
        i = max(range(len(shares)), key=lambda k: shares[k])
        shares[i] = round(shares[i] + rest, POINT_DECIMALS)
    return shares


def source_notebook(course: Any, exercise: Any) -> Any:
    """The nbgrader source notebook of one exercise (an nbformat v4 notebook)."""
    import jupytext
    import nbformat

    from grader.checks.runner import collect_checks

    path, text = solution_source(exercise, ExportError)
    converted = jupytext.reads(text, fmt="py:percent")
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"},
                   "torchgrade": {"exercise": exercise.id, "course_version": course.version}}
    cells = nb.cells
    counter = {"md": 0, "code": 0, "solution": 0}

    def next_id(kind: str) -> str:
        counter[kind] += 1
        return f"{_safe_id(exercise.name)}-{kind}-{counter[kind]}"

    for cell in converted.cells:
        source = cell.source.strip("\n")
        if not source.strip():
            continue
        if cell.cell_type == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(source, metadata=_meta(next_id("md"), locked=True)))
        elif cell.cell_type == "code":
            if _is_demo(source):
                # the markdown right before a demo introduces it ("Try it"); it goes too
                if cells and cells[-1].cell_type == "markdown":
                    cells.pop()
                    counter["md"] -= 1
                continue
            if BEGIN_SOLUTION in source:
                cells.append(nbformat.v4.new_code_cell(_hints_outside(source),
                                                       metadata=_meta(next_id("solution"), solution=True)))
            else:
                cells.append(nbformat.v4.new_code_cell(source, metadata=_meta(next_id("code"), locked=True)))

    checks = collect_checks(course, exercise.id, hidden=True)
    if not checks:
        raise ExportError(f"{exercise.id}: no checks found in {exercise.visible_tests_path.name} "
                          f"or {exercise.hidden_checks_path.name}")
    visible = [c for c in checks if c.visible]
    hidden = [c for c in checks if not c.visible]
    ordered = visible + hidden
    shares = cell_points([c.info.points for c in ordered], exercise.points)
    cells.append(nbformat.v4.new_markdown_cell(
        f"## Checks ({exercise.points:g} points)\n\n"
        f"Each cell below is one check of `{exercise.id}`. Run them after your code: a check that "
        f"passes prints its result, one that fails stops with the reason. {len(visible)} check(s) are "
        f"visible; {len(hidden)} more are hidden and run only when your notebook is graded.",
        metadata=_meta(f"{_safe_id(exercise.name)}-checks-intro", locked=True)))
    for n, (c, pts) in enumerate(zip(ordered, shares), start=1):
        call = f'run_check("{exercise.id}", "{c.name}", globals()'
        if c.visible:
            source = (f"# Visible check ({pts:g} points): {c.doc}\n"
                      f"from grader.export.nbgrader import run_check\n"
                      f"{call})")
            grade_id = f"{_safe_id(exercise.name)}-{_safe_id(c.name)}"
        else:
            k = n - len(visible)
            # Neither the name nor the description of a hidden check goes outside the hidden
            # region: the grade_id and the comment stay in the student's copy.
            source = (f"# Hidden check {k} of {len(hidden)} ({pts:g} points): runs when your notebook is graded.\n"
                      f"{BEGIN_HIDDEN}\n"
                      f"from grader.export.nbgrader import run_check\n"
                      f"{call}, hidden=True)\n"
                      f"{END_HIDDEN}")
            grade_id = f"{_safe_id(exercise.name)}-hidden-{k}"
        cells.append(nbformat.v4.new_code_cell(source, metadata=_meta(grade_id, grade=True, locked=True,
                                                                      points=pts)))
    ids = [cell.metadata["nbgrader"]["grade_id"] for cell in cells]
    if len(ids) != len(set(ids)):
        raise ExportError(f"{exercise.id}: duplicate grade_id in the exported notebook")
    return nb


def nbgrader_config(course: Any, course_path: str) -> str:
    """nbgrader_config.py for the exported course folder."""
    course_id = _safe_id(course.title.lower().replace(" ", "-"))
    timeout = int(max(course.grading.submission_timeout, 60))
    return f'''\
# nbgrader settings for "{course.title}" ({course.version}), written by `grader nbgrader export`.
# Run nbgrader from this folder: nbgrader generate_assignment ch3, nbgrader autograde ch3, ...
import os

c = get_config()  # noqa: F821 - provided by nbgrader when it reads this file

c.CourseDirectory.course_id = {json.dumps(course_id)}

# The autograded test cells import our checks from the course repository; kernels started by
# nbgrader inherit this variable. Override it when the course lives elsewhere on this machine.
os.environ.setdefault("{COURSE_ENV}", {json.dumps(course_path)})

# What a student sees in place of each solution region (the hint line above it stays).
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}

# Seconds one cell may run while autograding (course.toml grading.submission_timeout, at least 60).
c.ExecutePreprocessor.timeout = {timeout}
'''


def export_course(course: Any, out: Path, *, exercise_ids: Iterable[str] | None = None,
                  assignment: str | None = None, course_path: Path | None = None) -> list[Path]:
    """Write nbgrader_config.py and source/<chN>/<name>.ipynb; returns the files written."""
    import nbformat

    out = Path(out)
    exercises = [course.exercises[e] for e in course.select(exercise_ids or (), assignment)
                 if course.exercises[e].solution_path.is_file()]
    if not exercises:
        raise ExportError("nothing to export: no selected exercise has a reference solution")
    resolved = out.resolve()
    if resolved == course.root.resolve() or course.root.resolve() in resolved.parents and \
            resolved.relative_to(course.root.resolve()).parts[:1] in (("solutions",), ("exercises",)):
        raise ExportError(f"{out}: export into a folder of its own, not into the course's own folders")
    written = []
    for ex in exercises:
        nb = source_notebook(course, ex)
        target = out / "source" / ex.chapter / f"{ex.name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
        written.append(target)
    config = out / "nbgrader_config.py"
    config.write_text(nbgrader_config(course, str(course_path or course.root.resolve())), encoding="utf-8")
    written.append(config)
    return written


# ---------------------------------------------------------------------------- inside the kernel

class CheckFailed(AssertionError):
    """A check did not pass; nbgrader scores the cell 0."""


class _Namespace:
    """The notebook's globals seen as a module: looked up at call time, so a function the
    student redefines in a later cell is the one checked."""

    def __init__(self, namespace: dict) -> None:
        self.__dict__["_ns"] = namespace

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_ns"][name]
        except KeyError:
            raise AttributeError(name) from None


def _course_root() -> Path:
    # On a student's machine the last candidate, the installed package's course (course.toml and
    # the visible checks), is all a student's copy of the notebook runs.
    from grader.course import course_roots

    roots = course_roots()
    if not roots:
        raise CheckFailed(f"the course is not found: set {COURSE_ENV} to the folder holding course.toml "
                          "(nbgrader_config.py of the exported course sets it)")
    return roots[0]


_state: dict[str, Any] = {}


def _load(exercise_id: str) -> tuple[Any, Any]:
    from grader.course import load_course

    root = _course_root()
    key = str(root)
    if _state.get("root") != key:
        _state.clear()
        _state["root"], _state["course"] = key, load_course(root)
    course = _state["course"]
    return course, course.exercise(exercise_id)


def run_check(exercise_id: str, check_name: str, namespace: dict, *, hidden: bool = False) -> None:
    """Run one check of `exercise_id` against the functions defined in `namespace` (a notebook's
    globals()). Prints one line when it passes; raises CheckFailed (an AssertionError) otherwise.
    A hidden check's failure shows only the safe summary, never inputs or expected values."""
    __tracebackhide__ = True
    import torch

    from grader.checks.runner import collect_checks, load_reference, run_check as run_one
    from grader.checks.student import local_student

    course, ex = _load(exercise_id)
    checks = {(c.name, c.visible): c for c in collect_checks(course, ex.id, hidden=hidden)}
    check = checks.get((check_name, not hidden))
    if check is None:
        raise CheckFailed(f"{exercise_id} has no {'hidden' if hidden else 'visible'} check {check_name!r}; "
                          "the notebook is older than the course: export it again")
    gpu = torch.cuda.is_available()
    student = local_student(_Namespace(namespace), ex)  # type: ignore[arg-type]
    reference = load_reference(ex) if hidden else None
    # nbgrader gives 0 to any test cell that writes to stderr, and torch may warn while a
    # correct solution runs: keep the cell's stderr for our own verdict only.
    captured = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stderr(captured):
        warnings.simplefilter("ignore")
        result = run_one(check, student=student, reference_module=reference,
                         device=torch.device("cuda" if gpu else "cpu"), gpu_available=gpu,
                         gpu_policy=course.grading.gpu_policy)
    passed, text = cell_verdict(result, f"hidden check of {ex.id}" if hidden else check.doc,
                                course.grading.gpu_policy)
    if not passed:
        raise CheckFailed(text)
    print(text)


def cell_verdict(result: CheckResult, label: str, gpu_policy: str) -> tuple[bool, str]:
    """Whether nbgrader's test cell passes, and what it prints or fails with: the status and
    `label`, then for a failure what the student may see (grader.student_view)."""
    if result.status == "passed" or (result.status == "skipped" and gpu_policy != "zero"):
        return True, f"{result.status}: {label}"
    message = student_message(result)
    return False, f"{result.status}: {label}" + (f"\n{message}" if message else "")


__all__ = ["export_course", "source_notebook", "nbgrader_config", "cell_points", "run_check",
           "cell_verdict", "CheckFailed", "ExportError", "COURSE_ENV"]
