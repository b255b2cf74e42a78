"""The solution markers of a reference solution, and reading the answer lines between them.

`grader build` (stubs), the nbgrader export and the release's leak scan all read the same
markers; they are spelled here once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.course import Exercise
    from grader.errors import GraderError

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HINT = "# HINT:"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
ALL = (BEGIN, END, BEGIN_HIDDEN, END_HIDDEN)


def answer_lines(source: str) -> list[str]:
    """The lines between BEGIN and END markers, hint lines left out (what students must write)."""
    lines, inside = [], False
    for line in source.splitlines():
        text = line.strip()
        if text.startswith(BEGIN):
            inside = True
        elif text.startswith(END):
            inside = False
        elif inside and not text.startswith(HINT):
            lines.append(line)
    return lines


def solution_source(exercise: "Exercise", error: "type[GraderError]") -> tuple[Path, str]:
    """The reference solution's path and text, which must exist and mark its answers: without
    markers a stub or an nbgrader notebook would hand the answer out. Raises `error`."""
    path = exercise.solution_path
    if not path.is_file():
        raise error(f"{exercise.id}: reference solution {path} does not exist")
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text:
        raise error(f"{path}: no {BEGIN} markers, so the student's copy would give the answer away")
    return path, text


__all__ = ["ALL", "BEGIN", "BEGIN_HIDDEN", "END", "END_HIDDEN", "HINT", "answer_lines", "solution_source"]
