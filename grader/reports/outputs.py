"""Everything derived from a gradebook, written in one step: grades.csv, grades.json, review.md,
feedback (Markdown and HTML) and the class report. `grader grade`, `grader override`, `grader
review` and `grader report` all end here, so no output is left stale by a change to the gradebook.
"""

from __future__ import annotations

from pathlib import Path

from grader.course import Course
from grader.grading.final import ClassGrades, load_class
from grader.reports.grades import write_reports
from grader.reports.html import ReportResult, write_class_report


def write_outputs(grades: ClassGrades, *, report: bool = True) -> ReportResult | None:
    """Every output of `grades`; the class report (the slow part) unless `report` is False."""
    write_reports(grades)
    return write_class_report(grades) if report else None


def refresh(folder: Path, course: Course, *, report: bool = True) -> tuple[ClassGrades, ReportResult | None]:
    """Read `folder`'s gradebook again and rewrite everything derived from it."""
    grades = load_class(folder, course)
    return grades, write_outputs(grades, report=report)


__all__ = ["write_outputs", "refresh"]
