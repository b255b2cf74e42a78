"""The README's mutation table, written from `grader mutate`'s reports between two markers."""

from __future__ import annotations

import re
from pathlib import Path

from grader.errors import UsageError
from grader.mutation.run import ExerciseReport

START, END = "<!-- mutation:start -->", "<!-- mutation:end -->"
HEADER = "| exercise | mutants | killed | equivalent | survived | score |\n| --- | --- | --- | --- | --- | --- |"
_ROW = re.compile(r"^\| `([^`]+)` \|")


def row(report: ExerciseReport) -> str:
    return (f"| `{report.exercise}` | {len(report.results)} | {report.killed} | {report.equivalent} | "
            f"{len(report.survivors)} | {report.score:.1f} % |")


def write_table(path: Path, reports: list[ExerciseReport], order: list[str]) -> None:
    """Replace the rows of the exercises in `reports`, keep the others, in course order."""
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise UsageError(f"{path} has no {START} ... {END} section for the table")
    head, rest = text.split(START, 1)
    body, tail = rest.split(END, 1)
    rows = {m.group(1): line for line in body.splitlines() if (m := _ROW.match(line))}
    rows.update({r.exercise: row(r) for r in reports})
    ranked = sorted(rows, key=lambda ex: (order.index(ex) if ex in order else len(order), ex))
    table = "\n".join([HEADER, *(rows[ex] for ex in ranked)])
    path.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
