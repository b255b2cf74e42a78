"""Single-source authoring: the reference solution, with its answers between solution markers,
is the only file an instructor writes. The student's stub (and notebook) is generated from it."""

from __future__ import annotations

import ast
import json

from grader.course import Course, Exercise
from grader.errors import GraderError
from grader.export.notebooks import course_outputs, notebook_for
from grader.generated import Output
from grader.markers import BEGIN, END, HINT, solution_source

DEFAULT_HINT = "write your code here"


class AuthoringError(GraderError):
    """A solution file the stub cannot be generated from; says file, line and what to do."""


def make_stub(source: str, label: str = "<solution>") -> str:
    """Replace every solution block by `raise NotImplementedError(hint)` at the block's indent."""
    out: list[str] = []
    block: list[str] | None = None
    indent = ""
    start = 0
    for number, line in enumerate(source.splitlines(keepends=True), 1):
        text = line.strip()
        if text.startswith(BEGIN):
            if block is not None:
                raise AuthoringError(f"{label}:{number}: {BEGIN} inside another solution block "
                                     f"(opened at line {start}); close the first with {END}")
            indent = line[: len(line) - len(line.lstrip())]
            if not indent:
                raise AuthoringError(f"{label}:{number}: solution block at module level; put answers "
                                     "inside a function or method body so the stub still imports")
            block, start = [], number
        elif text.startswith(END):
            if block is None:
                raise AuthoringError(f"{label}:{number}: {END} without a {BEGIN} before it")
            out.append(f"{indent}raise NotImplementedError({json.dumps(_hint(block), ensure_ascii=False)})\n")
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    if block is not None:
        raise AuthoringError(f"{label}:{start}: {BEGIN} is never closed; add {END}")
    stub = "".join(out)
    try:
        ast.parse(stub)
    except SyntaxError as exc:
        raise AuthoringError(f"{label}: the generated stub is not valid Python (line {exc.lineno}: "
                             f"{exc.msg}); check the solution markers") from None
    return stub


def _hint(block: list[str]) -> str:
    hints = [ln.strip()[len(HINT):].strip() for ln in block if ln.strip().startswith(HINT)]
    return " ".join(h for h in hints if h) or DEFAULT_HINT


def has_markers(text: str) -> bool:
    return BEGIN in text or END in text


def outputs_for(exercise: Exercise) -> list[Output]:
    """Every file `grader build` writes for one exercise."""
    source_path, source = solution_source(exercise, AuthoringError)
    stub = make_stub(source, str(source_path.relative_to(exercise.root)))
    return [Output(exercise.stub_path, stub), Output(exercise.notebook_path, notebook_for(exercise, stub))]


def build(course: Course, exercise_ids: list[str] | None = None, *, write: bool = True) -> list[tuple[Output, bool]]:
    """Generate stubs and notebooks (and the course-level files of the notebooks stage).
    Returns (output, was it already up to date)."""
    outputs: list[Output] = []
    for ex_id in exercise_ids or list(course.exercises):
        ex = course.exercise(ex_id)
        if ex.solution_path.is_file():
            outputs += outputs_for(ex)
    outputs += course_outputs(course)  # package-data mirror for check(), README badges
    results = []
    for output in outputs:
        current = output.is_current()
        if write and not current:
            output.path.parent.mkdir(parents=True, exist_ok=True)
            output.path.write_text(output.content, encoding="utf-8")
        results.append((output, current))
    return results
