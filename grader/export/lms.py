"""Gradebook exports for learning management systems: the CSV files Canvas's and Moodle's grade
import accept, rendered from the final grades (grader.grading.final), never from check scores.

Canvas ("Grades > Import"): the columns Student, ID, SIS User ID, SIS Login ID, Section, then
one column per assignment, and a second row "Points Possible" with each assignment's points.
Canvas matches a row to a student by ID, SIS User ID or SIS Login ID; a new column name makes a
new assignment. Moodle ("Grades > Import > CSV file"): one header row, identity columns (you
pick the one to match users by at import time), then one column per grade item.

By default one column holds the gradebook's final grade (an assignment's, with its late
penalty, review holds and overrides): what an LMS import must receive. `--by exercise` or
`--by chapter` adds the points that count per exercise or chapter before the late penalty,
beside the final column.

Who a row is: the hand-in's own identity first (the LMS's user id, name and email that intake
read from the LMS's download or the `grade --roster`), then an optional roster CSV (Canvas's or
Moodle's gradebook export, or the roster `grade --roster` took) joined by `--roster-key` (the
column that holds the grader's student ids; found automatically among the usual ones). Graded
students the roster does not know are written all the same and listed; roster students without
a grade are listed, so nobody disappears in silence.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from grader.atomic import atomic_write
from grader.course import Course
from grader.errors import GraderError
from grader.grading.final import ClassGrades, load_class
from grader.reports.grades import _csv_safe, fmt_points, grade_of
from grader.results import HandIn, StudentResult

SYSTEMS = ("canvas", "moodle")
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_IDENTITY = ("First name", "Last name", "Username", "ID number", "Email address")
# Columns that can hold the grader's student ids, by the roster they come from, in the order tried.
KEY_CANDIDATES = ("SIS Login ID", "Username", "id", "ID number", "SIS User ID", "ID", "Email address", "email")
POINTS_POSSIBLE = "Points Possible"
COLUMNS = ("final", "exercise", "chapter")


class ExportError(GraderError):
    """A roster or gradebook the export cannot use, said in one line."""


@dataclass
class LmsExport:
    path: Path
    students: int                                            # grade rows written
    not_in_roster: list[str] = field(default_factory=list)   # graded, unknown to the roster: written anyway
    not_graded: list[str] = field(default_factory=list)      # in the roster, no grade: listed only
    columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Column:
    name: str
    points: float
    exercises: list[str]       # [] for the final grade


def grade_columns(grades: ClassGrades, by: str = "final") -> list[Column]:
    """The final grade's column, after one per exercise or chapter when asked for."""
    course, ids = grades.course, grades.exercise_ids
    title = grades.assignment.id if grades.assignment else "torchgrade"
    top = grade_of(grades.rows[0]).max if grades.rows else sum(course.exercises[e].points for e in ids)
    final = Column(title if by == "final" else f"{title} (final)", top, [])
    if by == "exercise":
        return [Column(e, course.exercises[e].points, [e]) for e in ids] + [final]
    if by == "chapter":
        parts = []
        for ch in course.chapters:
            members = [e for e in ids if course.exercises[e].chapter == ch]
            if members:
                parts.append(Column(ch, sum(course.exercises[e].points for e in members), members))
        return parts + [final]
    return [final]


def read_roster(path: Path, key: str | None) -> tuple[list[dict[str, str]], str]:
    """The roster's rows (Canvas's "Points Possible" row and blank lines left out) and the column
    that holds the grader's student ids (`key`, else the first usual one it has)."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"--roster {path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ExportError(f"--roster {path}: not UTF-8 text (save it as CSV UTF-8)") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    found = key if key is not None else next((c for c in KEY_CANDIDATES if c in columns), None)
    if found is None or found not in columns:
        raise ExportError(f"--roster {path}: no column {key or ' / '.join(KEY_CANDIDATES[:4])!r} to match the "
                          f"grader's student ids by (columns: {', '.join(columns) or 'none'}); name one with "
                          "--roster-key")
    rows = []
    for raw in reader:
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()) or POINTS_POSSIBLE in next(iter(row.values()), ""):
            continue
        rows.append(row)
    return rows, found


def export_lms(system: str, out: Path, course: Course, to: Path, *, roster: Path | None = None,
               roster_key: str | None = None, by: str = "final") -> LmsExport:
    if system not in SYSTEMS:
        raise ExportError(f"unknown system {system!r} (known: {', '.join(SYSTEMS)})")
    if by not in COLUMNS:
        raise ExportError(f"--by {by!r}: one of {', '.join(COLUMNS)}")
    grades = load_class(Path(out), course)
    if not grades.rows:
        raise ExportError(f"the gradebook in {out} holds no graded student yet: nothing to export")
    columns = grade_columns(grades, by)
    roster_rows, key = read_roster(roster, roster_key) if roster is not None else ([], "")
    by_key = {r[key].casefold(): r for r in roster_rows if r.get(key)}

    identity = list(CANVAS_IDENTITY) if system == "canvas" else _moodle_identity(roster_rows, key)
    header = identity + [c.name for c in columns]
    lines: list[list[str]] = [header]
    if system == "canvas":
        lines.append([POINTS_POSSIBLE] + [""] * (len(identity) - 1) + [fmt_points(c.points) for c in columns])
    rows = {r.student: r for r in grades.rows}
    people = {s: _person(rows[s], roster_rows, by_key) for s in rows}
    position = {id(p): i for i, p in enumerate(roster_rows)}
    # the roster's order first (as the LMS lists its class), then who it does not know
    order = sorted((s for s in rows if people[s] is not None), key=lambda s: position[id(people[s])])
    order += [s for s in rows if people[s] is None]
    not_in_roster = []
    for student in order:
        row, person = rows[student], people[student]
        if roster is not None and person is None:
            not_in_roster.append(student)
        ident = _identity(system, identity, student, row.handin or HandIn(), person or {}, key)
        lines.append([_csv_safe(v) for v in ident] + [_score(row, c) for c in columns])
    matched = {id(p) for p in people.values() if p is not None}
    not_graded = [r.get(key, "") for r in roster_rows if id(r) not in matched]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(lines)
    atomic_write(Path(to), buf.getvalue())
    notes = []
    late = [r.student for r in grades.rows if grade_of(r).penalty]
    if by != "final" and late:
        notes.append(f"the {by} columns hold points before the late penalty ({len(late)} student(s) have one): "
                     f"import the column {columns[-1].name!r}, which holds the final grade")
    return LmsExport(Path(to), len(order), not_in_roster, not_graded, header, notes)


def _person(row: StudentResult, roster_rows: list[dict[str, str]], by_key: dict[str, dict[str, str]]) -> dict | None:
    """The roster's row for a graded student: by the key column, else by the LMS's own user id
    (Canvas's `ID`, which its download names students by), else by email."""
    person = by_key.get(row.student.casefold())
    handin = row.handin or HandIn()
    if person is None and handin.lms_id:
        person = next((r for r in roster_rows if r.get("ID") == handin.lms_id), None)
    if person is None and handin.email:
        email = handin.email.casefold()
        person = next((r for r in roster_rows
                       if (r.get("Email address") or r.get("email") or "").casefold() == email), None)
    return person


def _identity(system: str, identity: list[str], student: str, handin: HandIn, person: dict[str, str],
              key: str) -> list[str]:
    """A row's identity cells: the roster's where it has them, else what the hand-in said."""
    name = handin.name or student
    first, _, last = name.partition(" ")
    known = {"Student": person.get("Student") or person.get("name") or _sortable(name),
             "ID": person.get("ID") or (handin.lms_id if handin.lms in ("canvas", "") else ""),
             "SIS User ID": person.get("SIS User ID") or "",
             "SIS Login ID": person.get("SIS Login ID") or (person.get(key, "") if key else "") or student,
             "Section": person.get("Section") or person.get("section") or handin.section,
             "First name": person.get("First name") or first, "Last name": person.get("Last name") or last,
             "Username": person.get("Username") or student, "ID number": person.get("ID number") or "",
             "Email address": person.get("Email address") or person.get("email") or handin.email}
    cells = [known.get(c, person.get(c, "")) for c in identity]
    if key in identity and not cells[identity.index(key)]:
        cells[identity.index(key)] = student
    return cells


def _sortable(name: str) -> str:
    """Canvas lists students as "Last, First"."""
    first, _, last = name.strip().rpartition(" ")
    return f"{last}, {first}" if first and last else name


def _moodle_identity(roster_rows: list[dict[str, str]], key: str) -> list[str]:
    present = [c for c in MOODLE_IDENTITY if roster_rows and c in roster_rows[0]] or list(MOODLE_IDENTITY[:3])
    if key and key not in present:
        present.append(key)
    return present


def _score(row: StudentResult, column: Column) -> str:
    grade = grade_of(row)
    if not column.exercises:
        return fmt_points(grade.final)
    parts = [grade.exercises[e] for e in column.exercises if e in row.exercises]
    if not parts:
        return ""        # not graded for this column: a blank cell changes nothing in the LMS
    return fmt_points(sum(p.points for p in parts))


__all__ = ["export_lms", "read_roster", "grade_columns", "LmsExport", "ExportError", "SYSTEMS"]
