"""Everything derived from a gradebook, written in one step: grades.csv, grades.json, review.md,
feedback (Markdown and HTML) and the class report. `grader grade`, `grader override`, `grader
review` and `grader report` all end here, so no output is left stale by a change to the gradebook.

The class report (report.html, its figures and the feedback pages) is the slow part, and the
only one that needs matplotlib: it is drawn again only when what it shows changed. Its digest
(rows and final grades, decisions, the gradebook's facts, the course, the report's own code) is
kept beside it in REPORT_DIGEST; a run that changes none of them (a rerun with nothing left to
grade) leaves it as it is. `grader report` always draws it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course import Course
from grader.grading.final import ClassGrades, load_class
from grader.reports.grades import write_reports

if TYPE_CHECKING:   # importing html pulls in matplotlib
    from grader.reports.html import ReportResult

REPORT_FILE = "report.html"        # html.py writes it under this name (html imports matplotlib)
REPORT_DIGEST = ".report-digest"
# what the report's look depends on besides the gradebook: its own code and template
_REPORT_CODE = (Path(__file__).parent, Path(__file__).parents[1] / "grading" / "final.py")
_REPORT_CODE_FILES = ("*.py", "*.j2")


def write_outputs(grades: ClassGrades, *, report: bool = True, redraw: bool = False) -> "ReportResult | None":
    """Every output of `grades`; the class report (the slow part) unless `report` is False, or
    when it already shows exactly these grades (None then) unless `redraw`."""
    write_reports(grades)
    if not report:
        return None
    digest = report_digest(grades)
    marker = grades.folder / REPORT_DIGEST
    if not redraw and (grades.folder / REPORT_FILE).is_file() and _read(marker) == digest:
        return None
    from grader.reports.html import write_class_report   # matplotlib: only when a report is drawn
    marker.unlink(missing_ok=True)     # a drawing cut short must not look current
    result = write_class_report(grades)
    marker.write_text(digest + "\n")
    return result


def refresh(folder: Path, course: Course, *, report: bool = True,
            redraw: bool = False) -> tuple[ClassGrades, "ReportResult | None"]:
    """Read `folder`'s gradebook again and rewrite everything derived from it."""
    grades = load_class(folder, course)
    return grades, write_outputs(grades, report=report, redraw=redraw)


def report_digest(grades: ClassGrades) -> str:
    """What the class report shows, as one hash: a change to any part draws it again. Not the
    latest run's start and end (meta "run"), which change with every run and are not shown."""
    h = hashlib.sha256()
    course = grades.course
    h.update(repr((course.title, course.version, course.exercises, course.report, course.assignments,
                   grades.exercise_ids)).encode())
    h.update(json.dumps({k: v for k, v in grades.meta.items() if k != "run"}, sort_keys=True).encode())
    for row in grades.rows:
        h.update(json.dumps(row.to_json(), sort_keys=True, default=str).encode())
    h.update(repr(grades.decisions).encode())
    for folder in _REPORT_CODE:
        paths = sorted(p for pattern in _REPORT_CODE_FILES for p in folder.glob(pattern)) if folder.is_dir() else [folder]
        for path in paths:
            h.update(path.read_bytes())
    return h.hexdigest()


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


__all__ = ["write_outputs", "refresh", "report_digest", "REPORT_DIGEST"]
