"""`grader override` and `grader review`: what a person decides about a grade, with who, when and why.

Decisions live in the gradebook's own tables, apart from the graded rows, so re-grading keeps
them; every output derived from the gradebook (grades.csv, grades.json, review.md, that student's
feedback, report.html) is rewritten at once, from the one final grade (grader.grading.final).
"""

from __future__ import annotations

import getpass
import unicodedata
from pathlib import Path
from typing import Callable

import click

from grader.course import Course, context_course
from grader.errors import UsageError
from grader.grading.gradebook import GRADEBOOK_FILE, Gradebook


def _decision_options(f: Callable) -> Callable:
    for option in reversed([
        click.option("--reason", required=True, help="Why (kept with the decision and shown in every output)."),
        click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
                     help="The --out folder of `grader grade` (for an assignment: OUT/ID, or give --assignment)."),
        click.option("--assignment", default=None, metavar="ID", help="The assignment graded into OUT/ID/."),
        click.option("--by", default=None, help="Who decides (default: your login name)."),
    ]):
        f = option(f)
    return f


def _target(course: Course, out: Path, assignment: str | None, student: str, exercise: str,
            reason: str) -> tuple[Path, str]:
    """(the gradebook's folder, the student's id) after checking both name something graded there."""
    from grader.grading.final import load_class

    folder = out / assignment if assignment else out
    if not reason.strip():
        raise UsageError("--reason must say why")
    student = unicodedata.normalize("NFC", student)
    grades = load_class(folder, course)
    row = grades.row(student)
    if row is None:
        known = ", ".join(r.student for r in grades.rows[:10])
        raise UsageError(f"no student {student!r} in {folder} (graded: {known or 'none'})")
    if exercise not in grades.exercise_ids or exercise not in row.exercises:
        raise UsageError(f"{exercise!r} was not graded for {student} in {folder} "
                         f"(exercises: {', '.join(e for e in grades.exercise_ids if e in row.exercises)})")
    return folder, student


def _refreshed(course: Course, folder: Path, student: str, exercise: str) -> str:
    from grader.reports.outputs import refresh

    grades, _ = refresh(folder, course)
    row = grades.row(student)
    assert row is not None and row.grade is not None
    part = row.grade.exercises[exercise]
    return (f"{student} {exercise}: {part.points:g} / {part.max:g} ({part.state}); final grade "
            f"{row.grade.final:g} / {row.grade.max:g}; grades.csv, grades.json, review.md, feedback and "
            f"report.html in {folder} rewritten")


@click.command("override")
@click.argument("student")
@click.argument("exercise")
@click.argument("points", type=float)
@_decision_options
@click.pass_context
def override(ctx: click.Context, student: str, exercise: str, points: float, reason: str, out: Path,
             assignment: str | None, by: str | None) -> None:
    """Set STUDENT's POINTS for EXERCISE by hand, e.g. `grader override alice ch4.dropout 8 --reason
    "regrade request: rescaling was right"`. It is kept across re-grades and wins over the checks
    and the review."""
    course = context_course(ctx)
    folder, student = _target(course, out, assignment, student, exercise, reason)
    maximum = course.exercise(exercise).points
    if not 0 <= points <= maximum:
        raise UsageError(f"points must be between 0 and {maximum:g} for {exercise}, got {points:g}")
    with Gradebook(folder / GRADEBOOK_FILE) as book:
        book.set_override(student, exercise, points, reason.strip(), by or getpass.getuser())
    click.echo(_refreshed(course, folder, student, exercise))


@click.command("review")
@click.argument("decision", type=click.Choice(["accept", "reject"]))
@click.argument("student")
@click.argument("exercise")
@_decision_options
@click.pass_context
def review(ctx: click.Context, decision: str, student: str, exercise: str, reason: str, out: Path,
           assignment: str | None, by: str | None) -> None:
    """Decide an exercise the judge's review held: accept gives back the checks' points, reject
    keeps 0, e.g. `grader review accept mallory ch3.softmax --reason "torch.ops.aten.add is fine here"`.
    Kept across re-grades; review.md lists what is held."""
    from grader.grading.final import load_class

    course = context_course(ctx)
    folder, student = _target(course, out, assignment, student, exercise, reason)
    entry = load_class(folder, course).row(student).exercises[exercise]  # type: ignore[union-attr]
    if entry.tampering:
        raise UsageError(f"{student} {exercise} scored 0 for tampering, which no review decision changes: "
                         "read review.md and set points with `grader override` if they are due")
    if not entry.findings:
        raise UsageError(f"{student} {exercise} has no finding of the judge's review: nothing to {decision}")
    with Gradebook(folder / GRADEBOOK_FILE) as book:
        book.set_review(student, exercise, decision, reason.strip(), by or getpass.getuser())
    click.echo(_refreshed(course, folder, student, exercise))
