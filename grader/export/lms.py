"""Gradebook exports for learning management systems: the CSV files Canvas's and Moodle's grade
import accept, made from the gradebook, with student ids mapped through an optional roster.

Canvas ("Grades > Import"): the columns Student, ID, SIS User ID, SIS Login ID, Section, then
one column per assignment, and a second row "Points Possible" with each assignment's points.
Canvas matches a row to a student by ID, SIS User ID or SIS Login ID; a new column name makes a
new assignment. Moodle ("Grades > Import > CSV file"): one header row, identity columns (you
pick the one to match users by at import time), then one column per grade item.

The roster is a CSV with a header (Canvas's own gradebook export is one); its `key` column holds
the grader's student ids (the submission folder names). Graded students the roster does not know
are written all the same (with their grader id) and listed; roster students without a grade are
listed, so nobody disappears in silence.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from grader.course import Course
from grader.errors import GraderError
from grader.atomic import atomic_write
from grader.grading.gradebook import GRADEBOOK_FILE, read_gradebook, read_overrides
from grader.grading.submissions import sanitize_id
from grader.reports.grades import _csv_safe, apply_grading, fmt_points
from grader.results import StudentResult

SYSTEMS = ("canvas", "moodle")
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_IDENTITY = ("First name", "Last name", "Username", "ID number", "Email address")
DEFAULT_KEY = {"canvas": "SIS Login ID", "moodle": "Username"}
POINTS_POSSIBLE = "Points Possible"


class ExportError(GraderError):
    """A roster or gradebook the export cannot use, said in one line."""


@dataclass
class LmsExport:
    path: Path
    students: int                                            # grade rows written
    not_in_roster: list[str] = field(default_factory=list)   # graded, unknown to the roster: written anyway
    not_graded: list[str] = field(default_factory=list)      # in the roster, no grade: listed only
    columns: list[str] = field(default_factory=list)


@dataclass
class Assignment:
    name: str
    points: float
    exercises: list[str]


def assignments(course: Course, exercise_ids: list[str], by: str = "exercise") -> list[Assignment]:
    """One assignment per exercise, or per chapter (its exercises' points added up)."""
    if by == "exercise":
        return [Assignment(e, course.exercises[e].points, [e]) for e in exercise_ids]
    out = []
    for ch in course.chapters:
        members = [e for e in exercise_ids if course.exercises[e].chapter == ch]
        if members:
            out.append(Assignment(ch, sum(course.exercises[e].points for e in members), members))
    return out


def read_roster(path: Path, key: str) -> list[dict[str, str]]:
    """The roster's rows (Canvas's "Points Possible" row and blank lines left out)."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"--roster {path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ExportError(f"--roster {path}: not UTF-8 text (save it as CSV UTF-8)") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    if key not in columns:
        raise ExportError(f"--roster {path}: no column {key!r} to match the grader's student ids by "
                          f"(columns: {', '.join(columns) or 'none'}); name one with --roster-key")
    rows = []
    for raw in reader:
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()) or POINTS_POSSIBLE in next(iter(row.values()), ""):
            continue
        rows.append(row)
    return rows


def export_lms(system: str, out: Path, course: Course, to: Path, *, roster: Path | None = None,
               roster_key: str | None = None, by: str = "exercise") -> LmsExport:
    if system not in SYSTEMS:
        raise ExportError(f"unknown system {system!r} (known: {', '.join(SYSTEMS)})")
    book = Path(out) / GRADEBOOK_FILE
    rows_by_id, _ = read_gradebook(book)
    if not rows_by_id:
        raise ExportError(f"the gradebook in {out} holds no graded student yet: nothing to export")
    held = {e for r in rows_by_id.values() for e in r.exercises}
    exercise_ids = [e for e in course.exercises if e in held]
    # the points a TA set by hand are the grade, in the LMS as in grades.csv
    graded_rows = apply_grading(list(rows_by_id.values()), exercise_ids, course, read_overrides(book))
    rows_by_id = {r.student: r for r in graded_rows}
    parts = assignments(course, exercise_ids, by)
    key = roster_key or DEFAULT_KEY[system]
    roster_rows = read_roster(roster, key) if roster is not None else []
    by_key = {sanitize_id(r[key]).lower(): r for r in roster_rows if r.get(key)}
    graded = {s.lower(): s for s in rows_by_id}

    identity = list(CANVAS_IDENTITY) if system == "canvas" else _moodle_identity(roster_rows, key)
    header = identity + [a.name for a in parts]
    lines: list[list[str]] = [header]
    if system == "canvas":
        lines.append([POINTS_POSSIBLE] + [""] * (len(identity) - 1) + [fmt_points(a.points) for a in parts])
    not_in_roster = []
    ordered = [graded[k] for k in by_key if k in graded] if roster is not None else []
    ordered += [s for s in sorted(rows_by_id) if s not in ordered]
    for student in ordered:
        person = by_key.get(student.lower())
        if roster is not None and person is None:
            not_in_roster.append(student)
        ident = [_csv_safe(person.get(c, "")) if person else "" for c in identity]
        if person is None:
            ident[identity.index(key if key in identity else identity[0])] = student
            if system == "canvas":
                ident[0] = student
        lines.append(ident + [_score(rows_by_id[student], a) for a in parts])
    not_graded = [r.get(key, "") for k, r in by_key.items() if k not in graded]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(lines)
    atomic_write(Path(to), buf.getvalue())
    return LmsExport(Path(to), len(ordered), not_in_roster, not_graded, header)


def _moodle_identity(roster_rows: list[dict[str, str]], key: str) -> list[str]:
    present = [c for c in MOODLE_IDENTITY if roster_rows and c in roster_rows[0]]
    if key not in present:
        present.append(key)
    return present


def _score(row: StudentResult, a: Assignment) -> str:
    if not any(e in row.exercises for e in a.exercises):
        return ""        # not graded for this assignment: a blank cell changes nothing in the LMS
    return fmt_points(sum(float(row.exercises[e].score) for e in a.exercises if e in row.exercises))


__all__ = ["export_lms", "read_roster", "assignments", "LmsExport", "ExportError", "SYSTEMS"]
