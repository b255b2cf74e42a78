"""The class report: OUT/report.html (self-contained: figures embedded, no network), its figures
as PNG in OUT/figures/, and each student's feedback rendered as OUT/feedback/<student>.html.

Everything is made from the gradebook (OUT/gradebook.sqlite) and course.toml alone, through the
final grades of grader.grading.final, so a run that was interrupted and resumed gives the same
report as one that was not, and every total here is the one grades.csv states.
"""

from __future__ import annotations

import base64
import hashlib
import datetime as _dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from grader.course import Course
from grader.atomic import atomic_write
from grader.grading.gradebook import GRADEBOOK_FILE
from grader.reports import figures, stats
from grader.reports.grades import feedback_md, fmt_points, grade_of, run_facts
from grader.reports.similarity import Pair, side_by_side, similar_pairs
from grader.results import StudentResult

if TYPE_CHECKING:
    from grader.grading.final import ClassGrades

REPORT_FILE = "report.html"
FIGURES_DIR = "figures"
MAX_DIFFS = 40          # side-by-side diffs in the page (each is a few kB); the table lists all pairs
PAGE_FORMAT = "1"       # change with feedback_page's HTML around the text, so old pages are redone
MAX_PAIRS = 500         # pairs listed at most, best first

_FIGURE_ALT = {
    "totals": "Histogram of the students' total points, with mean and median",
    "exercise_scores": "Strip plot: every student's share of each exercise's points",
    "exercise_outcomes": "Stacked bars: share of students with full marks, partial, zero and missing per exercise",
    "items": "Scatter plot of each check's difficulty against its discrimination",
    "similarity": "Histogram of the similarity scores of pairs of submissions",
}


@dataclass
class ReportResult:
    path: Path
    students: int
    figures: list[Path] = field(default_factory=list)
    pairs: int = 0
    flagged_checks: int = 0
    warnings: list[str] = field(default_factory=list)


def write_class_report(grades: ClassGrades) -> ReportResult:
    """Write report.html, figures/*.png and feedback/*.html of one gradebook's final grades."""
    out, course, rows = grades.folder, grades.course, grades.rows
    feedback = out / "feedback"
    html, pngs, pages, info = build_report(course, rows, grades.meta, grades.exercise_ids, pages_in=feedback)
    fig_dir = out / FIGURES_DIR
    fig_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in pngs.items():
        atomic_write(fig_dir / f"{name}.png", data)
        written.append(fig_dir / f"{name}.png")
    for old in fig_dir.glob("*.png"):
        if old not in written:
            old.unlink()
    feedback.mkdir(parents=True, exist_ok=True)
    for student, page in pages.items():
        if page is not None:            # None: the page on disk is current
            atomic_write(feedback / f"{student}.html", page)
    for old in feedback.glob("*.html"):
        if old.stem not in pages:
            old.unlink()
    atomic_write(out / REPORT_FILE, html)
    return ReportResult(out / REPORT_FILE, len(rows), written, info["pairs"], info["flagged"], info["warnings"])


def report_exercises(course: Course, rows: list[StudentResult]) -> tuple[list[str], list[str]]:
    """The course's exercises that some row holds (in course order), and those rows hold that
    course.toml no longer declares."""
    held = {e for r in rows for e in r.exercises}
    return [e for e in course.exercises if e in held], sorted(held - set(course.exercises))


def build_report(course: Course, rows: list[StudentResult], meta: dict[str, str], exercise_ids: list[str] | None = None,
                 pages_in: Path | None = None) -> tuple[str, dict[str, bytes], dict[str, str | None], dict]:
    """(report.html text, figure name -> PNG bytes, student -> feedback page, counts). A page
    already in `pages_in` made from the same feedback text comes back as None (not rendered again:
    rendering 300 pages is most of a report's time, and a resumed run changes few of them)."""
    warnings: list[str] = []
    known, unknown = report_exercises(course, rows)
    if exercise_ids is None:
        exercise_ids = known
    if unknown:
        warnings.append(f"The gradebook holds exercises course.toml no longer declares, left out: {', '.join(unknown)}.")
    n = len(rows)
    totals_ = [grade_of(r).final for r in rows]
    max_total = grade_of(rows[0]).max if rows else sum(course.exercises[e].points for e in exercise_ids)
    ex_stats = [stats.exercise_stats(rows, e, course.exercises[e].points) for e in exercise_ids]
    items = stats.item_analysis(rows, exercise_ids)
    hardest = set(stats.hardest(items)) if n else set()
    failures = stats.failure_reasons(rows, exercise_ids)
    nothing = [r.student for r in rows
               if exercise_ids and all(e not in r.exercises or r.exercises[e].status == "missing"
                                       for e in exercise_ids)]
    old_rows = [r.student for r in rows if any(e.checks is None for e in r.exercises.values())]
    if old_rows:
        warnings.append(f"{len(old_rows)} row(s) come from an older gradebook without per-check results "
                        f"({', '.join(old_rows[:5])}{' ...' if len(old_rows) > 5 else ''}): they count in the totals, "
                        "not in the item analysis; grade them again for the full report.")
    roster = json.loads(meta.get("roster") or "null")
    if roster:
        if roster.get("unmatched"):
            warnings.append(f"Submissions not on the roster {roster.get('file', '')} (graded under their folder "
                            f"names): {', '.join(roster['unmatched'])}.")
        if roster.get("absent"):
            warnings.append("Roster students with no submission: " + ", ".join(
                p["id"] + (f" ({p['name']})" if p.get("name") else "") for p in roster["absent"]) + ".")

    threshold = course.report.similarity_threshold
    pairs, scores, sim_notes, codes = _similarity(course, rows, exercise_ids)
    listed = [p for p in pairs if p.score >= threshold][:MAX_PAIRS]
    diffs = [side_by_side(p.a, codes[p.exercise][p.a], p.b, codes[p.exercise][p.b], i)
             for i, p in enumerate(listed[:MAX_DIFFS])]

    pngs: dict[str, bytes] = {}
    if n:
        pngs["totals"] = figures.totals_histogram(totals_, max_total)
        if ex_stats:
            pngs["exercise_scores"] = figures.exercise_strip(ex_stats)
            pngs["exercise_outcomes"] = figures.exercise_outcomes(ex_stats, n)
        if items:
            pngs["items"] = figures.item_map(items)
        if scores:
            pngs["similarity"] = figures.similarity_histogram(scores, threshold)

    def figure(name: str) -> Markup:
        if name not in pngs:
            return Markup("")
        data = base64.b64encode(pngs[name]).decode("ascii")
        return Markup(f'<img class="figure" id="fig-{name}" src="data:image/png;base64,{data}" '
                      f'alt="{escape(_FIGURE_ALT[name])}">')

    students = [_student_line(r, exercise_ids, course, r.student in nothing) for r in rows]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=False)
    html = env.get_template("report.html.j2").render(
        course=course, n_students=n, gradebook_name=GRADEBOOK_FILE, warnings=warnings,
        overview=stats.summarize(totals_), max_total=max_total, nothing=nothing,
        facts=run_facts(rows), timing=_timing(rows, meta),
        exercise_rows=[_exercise_line(s, course) for s in ex_stats] if n else [],
        failure_statuses=[s for s in stats.FAILURE_STATUSES if s != "missing"],
        items=items if n else [], hardest=hardest, low_d=stats.LOW_DISCRIMINATION,
        failures=failures, threshold=threshold, pairs=listed, diffs=diffs, max_diffs=MAX_DIFFS,
        similarity_scores=scores, similarity_notes=sim_notes, common_note=True,
        students=students, exercise_ids=exercise_ids,
        figure=figure, fmt=_fmt, fmt2=_fmt2, num=_num, pct=lambda k: f"{100 * k / n:.0f} %" if n else "")
    pages = {r.student: feedback_page(r, exercise_ids, course, pages_in) for r in rows}
    info = {"pairs": len(listed), "flagged": sum(it.flagged for it in items), "warnings": warnings}
    return html, pngs, pages, info


_MD = MarkdownIt("commonmark", {"html": False}).enable("table")


def feedback_page(row: StudentResult, exercise_ids: list[str], course: Course, existing: Path | None = None) -> str | None:
    """A student's feedback.md rendered as a standalone page (raw HTML in it stays text); None
    when `existing`/<student>.html was rendered from the same text already."""
    text = feedback_md(row, exercise_ids, course)
    digest = hashlib.sha256(f"{PAGE_FORMAT}\0{text}".encode()).hexdigest()
    stamp = f"<!-- feedback sha256 {digest} -->"
    if existing is not None:
        try:
            with open(existing / f"{row.student}.html", encoding="utf-8") as fh:
                if stamp in fh.readline():
                    return None
        except OSError:
            pass
    body = _MD.render(text)
    return (f"<!DOCTYPE html>{stamp}\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Feedback for {escape(row.student)}</title><style>"
            "body{font-family:system-ui,sans-serif;max-width:60em;margin:1em auto;padding:0 1em;color:#1d1d1f}"
            "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2em .6em}"
            "pre{background:#f5f5f5;padding:.5em;overflow-x:auto;white-space:pre-wrap}</style></head><body>"
            "<p><a href=\"../report.html#students\">&larr; class report</a></p>\n"
            f"{body}</body></html>\n")


def _similarity(course: Course, rows: list[StudentResult], exercise_ids: list[str]):
    codes: dict[str, dict[str, str]] = {}
    pairs: list[Pair] = []
    scores: list[float] = []
    notes = []
    without_code = 0
    for ex_id in exercise_ids:
        ex_codes = {}
        for r in rows:
            entry = r.exercises.get(ex_id)
            if not entry or entry.status == "missing":
                continue
            if entry.code:
                ex_codes[r.student] = entry.code
            elif entry.code is None:
                without_code += 1
        codes[ex_id] = ex_codes
        if len(ex_codes) < 2:
            continue
        stub_path = course.exercises[ex_id].stub_path
        stub = stub_path.read_text(encoding="utf-8", errors="replace") if stub_path.is_file() else ""
        found = similar_pairs(ex_id, ex_codes, stub)
        scores += [p.score for p in found]
        pairs += found
    pairs.sort(key=lambda p: (-p.score, p.exercise, p.a, p.b))
    if without_code:
        notes.append(f"{without_code} handed-in exercise(s) were graded before the gradebook kept code "
                     "and are not compared; grade them again to include them.")
    return pairs, scores, notes, codes


def _student_line(row: StudentResult, exercise_ids: list[str], course: Course, nothing: bool) -> dict:
    grade = grade_of(row)
    cells: list[dict[str, str | float]] = []
    for e in exercise_ids:
        entry, part = row.exercises.get(e), grade.exercises[e]
        if not entry or entry.status == "missing":
            cells.append({"text": "missing" if entry else "not graded", "css": "status-missing", "sort": -1.0})
        else:
            bad = not entry.graded
            word = {"held": " (held)", "override": " (by hand)", "tampering": " (tampering)",
                    "rejected": " (rejected)"}.get(part.state, " (not run)" if bad else "")
            cells.append({"text": fmt_points(part.points) + word,
                          "css": "status-bad" if bad or word else "", "sort": part.points})
    notes = ([row.problem] if row.problem else []) + [a for a in grade.attention if a != row.problem]
    if nothing:
        notes.append("handed in nothing: every exercise missing")
    return {"student": row.student, "total": grade.final, "max": grade.max, "cells": cells, "note": "; ".join(notes)}


def _exercise_line(s: stats.ExerciseStats, course: Course) -> dict:
    return {"exercise": s.exercise, "title": course.exercises[s.exercise].title, "points": s.points,
            "summary": s.summary, "full": s.full, "zero": s.zero, "outcomes": s.outcomes}


def _timing(rows: list[StudentResult], meta: dict[str, str]) -> str:
    compute = sum(float(e.seconds or 0) for r in rows for e in r.exercises.values())
    parts = [f"{compute:.1f} s of grading work recorded in the gradebook (all exercises of all students)"]
    try:
        last = json.loads(meta.get("last_run") or "{}")
        wall = (_dt.datetime.fromisoformat(last["finished"]) - _dt.datetime.fromisoformat(last["started"])).total_seconds()
        parts.append(f"the latest run graded {last.get('graded', '?')} student(s) in {wall:.1f} s wall-clock "
                     f"with {last.get('jobs', '?')} judge(s), finished {last['finished']}"
                     + (" (interrupted)" if last.get("interrupted") else ""))
    except (ValueError, KeyError, TypeError):
        pass
    return "; ".join(parts)


def _fmt(x: float) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{round(float(x), 1):g}"


def _fmt2(x: float) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"


def _num(x: float) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.6f}"


__all__ = ["write_class_report", "build_report", "feedback_page", "ReportResult", "REPORT_FILE"]
