"""`grader override`: set one student's points for one exercise by hand, with who, when and why.

The override lives in the gradebook's own table, apart from the graded rows, so re-grading keeps
it; grades.csv, grades.json and the feedback are rewritten from the gradebook at once.
"""

from __future__ import annotations

import getpass
import json
import unicodedata
from dataclasses import replace
from pathlib import Path

import click

from grader.course import context_course
from grader.errors import UsageError
from grader.grading.gradebook import GRADEBOOK_FILE, Gradebook, read_gradebook


@click.command("override")
@click.argument("student")
@click.argument("exercise")
@click.argument("points", type=float)
@click.option("--reason", required=True, help="Why (kept with the points and shown in every output).")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The --out folder of `grader grade` (OUT/ID for an assignment: or give --assignment).")
@click.option("--assignment", default=None, metavar="ID", help="The assignment graded into OUT/ID/.")
@click.option("--by", default=None, help="Who sets the points (default: your login name).")
@click.pass_context
def override(ctx: click.Context, student: str, exercise: str, points: float, reason: str, out: Path,
             assignment: str | None, by: str | None) -> None:
    """Set STUDENT's POINTS for EXERCISE by hand, e.g. `grader override alice ch4.dropout 8 --reason
    "regrade request: rescaling was right"`. It is kept across re-grades."""
    from grader.reports.grades import write_reports

    course = context_course(ctx)
    folder = out / assignment if assignment else out
    if not reason.strip():
        raise UsageError("--reason must say why the points are set by hand")
    student = unicodedata.normalize("NFC", student)
    rows, _ = read_gradebook(folder / GRADEBOOK_FILE)
    try:
        previous = json.loads((folder / "grades.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UsageError(f"{folder}/grades.json is missing or unreadable: grade into {folder} first") from None
    metadata = previous.get("metadata", {})
    exercise_ids = list(metadata.get("exercises") or [])
    if student not in rows:
        raise UsageError(f"no student {student!r} in {folder} (graded: {', '.join(list(rows)[:10]) or 'none'})")
    if exercise not in exercise_ids:
        raise UsageError(f"{exercise!r} was not graded in {folder} (exercises: {', '.join(exercise_ids)})")
    maximum = course.exercise(exercise).points
    if not 0 <= points <= maximum:
        raise UsageError(f"points must be between 0 and {maximum:g} for {exercise}, got {points:g}")
    with Gradebook(folder / GRADEBOOK_FILE) as book:
        book.set_override(student, exercise, points, reason.strip(), by or getpass.getuser())
        overrides = book.overrides()
    submitted = {s["student"]: {"at": s.get("grade", {}).get("submitted_at", ""),
                                "source": s.get("grade", {}).get("time_source", "")}
                 for s in previous.get("students", [])}
    graded = [replace(rows[s], submitted=submitted.get(s, {})) for s in rows
              if s in submitted and all(e in rows[s].exercises for e in exercise_ids)]
    the_assignment = course.assignments.get((metadata.get("assignment") or {}).get("id", ""))
    write_reports(folder, graded, exercise_ids, course, metadata, overrides, the_assignment)
    click.echo(f"{student} {exercise}: {points:g} / {maximum:g} points by hand ({reason.strip()}); "
               f"{folder}/grades.csv, grades.json and feedback/ rewritten")
