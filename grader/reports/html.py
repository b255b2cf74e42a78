"""The class report: OUT/report.html (self-contained: figures embedded, no network), its figures
as PNG in OUT/figures/, and each student's feedback rendered as OUT/feedback/<student>.html.

The first screen is for the TA's morning: who needs a person and why (grader.reports.attention,
the list `grader grade` ends with), each linked to the student's row and feedback; then the
students, the overview, and the statistics, each shown only where the class is large enough for
it to mean something (grader.reports.stats).

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
from urllib.parse import quote
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
from grader.reports.attention import KINDS, PersonToSee, Reason, kind_counts, needs_a_person
from grader.reports.grades import exercise_columns, feedback_md, file_safe, fmt_points, grade_of, run_facts
from grader.reports.outputs import REPORT_FILE
from grader.reports.similarity import ExerciseSimilarity, clusters, compare, side_by_side
from grader.results import StudentResult

if TYPE_CHECKING:
    from grader.grading.final import ClassGrades

FIGURES_DIR = "figures"
MAX_DIFFS = 25          # side-by-side diffs in the page (each is a few kB), one per cluster shown open
PAGE_FORMAT = "2"       # change with feedback_page's HTML around the text, so old pages are redone
MAX_CLUSTERS = 300      # clusters of alike files listed at most, best first
TOP_REASONS = 15        # reasons checks fail shown open; the rest behind one summary line
TOP_CLUSTERS = 25       # groups of alike files shown open; the rest behind one summary line

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
    pairs: int = 0                      # pairs of students alike beyond the reference, in `clusters` groups
    flagged_checks: int = 0
    warnings: list[str] = field(default_factory=list)
    clusters: int = 0
    people: int = 0                     # students on the "needs a person" list


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
    keep = set()
    for student, page in pages.items():
        name = f"{file_safe(student)}.html"
        keep.add(name)
        if page is not None:            # None: the page on disk is current
            atomic_write(feedback / name, page)
    for old in feedback.glob("*.html"):
        if old.name not in keep:
            old.unlink()
    atomic_write(out / REPORT_FILE, html)
    return ReportResult(out / REPORT_FILE, len(rows), written, info["pairs"], info["flagged"], info["warnings"],
                        info["clusters"], info["people"])


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
    judged = stats.judged(items)
    hardest = set(stats.hardest(judged))
    failures = stats.failure_reasons(rows, exercise_ids)
    old_rows = [r.student for r in rows if any(e.checks is None for e in r.exercises.values())]
    if old_rows:
        warnings.append(f"{len(old_rows)} row(s) come from an older gradebook without per-check results "
                        f"({', '.join(old_rows[:5])}{' ...' if len(old_rows) > 5 else ''}): they count in the totals, "
                        "not in the item analysis; grade them again for the full report.")
    roster = json.loads(meta.get("roster") or "null")
    people = needs_a_person(rows, roster, exercise_ids)
    anchors = {r.student: f"s{i}" for i, r in enumerate(rows, 1)}
    by_student = {r.student: r for r in rows}

    threshold = course.report.similarity_threshold
    compared, scores, sim_notes, codes = _similarity(course, rows, exercise_ids)
    listed = [p for c in compared for p in c.pairs if p.score >= threshold and not p.explained]
    groups = clusters(listed)[:MAX_CLUSTERS]
    diffs = [side_by_side(g.best.a, codes[g.exercise][g.best.a], g.best.b, codes[g.exercise][g.best.b], i)
             for i, g in enumerate(groups[:MAX_DIFFS])]
    matches = [{"exercise": c.exercise, "students": sorted(s for s, score in c.reference.items() if score >= threshold),
                "handed_in": len(codes[c.exercise])} for c in compared]
    matches = [m for m in matches if m["students"]]

    pngs: dict[str, bytes] = {}
    if n:
        pngs["totals"] = figures.totals_histogram(totals_, max_total)
        if ex_stats:
            pngs["exercise_scores"] = figures.exercise_strip(ex_stats)
            pngs["exercise_outcomes"] = figures.exercise_outcomes(ex_stats, n)
        if judged:
            pngs["items"] = figures.item_map(judged)
        if scores:
            pngs["similarity"] = figures.similarity_histogram(scores, threshold)

    def figure(name: str) -> Markup:
        if name not in pngs:
            return Markup("")
        data = base64.b64encode(pngs[name]).decode("ascii")
        return Markup(f'<img class="figure" id="fig-{name}" src="data:image/png;base64,{data}" '
                      f'alt="{escape(_FIGURE_ALT[name])}">')

    reasons = {p.student: p.reasons for p in people}
    columns = exercise_columns(exercise_ids)
    students = [_student_line(r, columns, reasons.get(r.student, []), anchors[r.student]) for r in rows]
    statuses = [s for s in stats.FAILURE_STATUSES if s != "missing" and any(e.outcomes[s] for e in ex_stats)]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=False)
    html = env.get_template("report.html.j2").render(
        course=course, n_students=n, gradebook_name=GRADEBOOK_FILE, warnings=warnings,
        overview=stats.summarize(totals_), max_total=max_total,
        people=[_person_line(p, by_student.get(p.student), anchors) for p in people],
        kind_counts=kind_counts(people), kinds=KINDS,
        facts=run_facts(rows), timing=_timing(rows, meta),
        exercise_rows=[_exercise_line(s, course) for s in ex_stats] if n else [],
        failure_statuses=statuses,
        items=judged, flagged=[it for it in judged if it.flagged], n_items=len(items),
        most_graded=max((it.n for it in items), default=0), min_students=stats.MIN_STUDENTS,
        hardest=hardest, low_d=stats.LOW_DISCRIMINATION,
        failures=failures[:TOP_REASONS], more_failures=failures[TOP_REASONS:],
        threshold=threshold, clusters=groups, n_pairs=len(listed), more_clusters=max(0, len(clusters(listed)) - len(groups)),
        diffs=diffs, max_diffs=MAX_DIFFS, top_clusters=TOP_CLUSTERS, matches=matches, explained=sum(p.explained for c in compared for p in c.pairs
                                                                          if p.score >= threshold),
        similarity_scores=scores, similarity_notes=sim_notes, common_note=True,
        students=students, columns=list(columns), many_exercises=len(columns) < len(exercise_ids),
        figure=figure, fmt=_fmt, fmt2=_fmt2, num=_num, pct=lambda k: f"{100 * k / n:.0f} %" if n else "")
    pages = {r.student: feedback_page(r, exercise_ids, course, pages_in) for r in rows}
    info = {"pairs": len(listed), "clusters": len(groups), "flagged": sum(it.flagged for it in judged),
            "warnings": warnings, "people": len(people)}
    return html, pngs, pages, info


def _feedback_href(student: str) -> str:
    return "feedback/" + quote(f"{file_safe(student)}.html")


def _person_line(person: PersonToSee, row: StudentResult | None, anchors: dict[str, str]) -> dict:
    grade = row.grade if row is not None else None
    return {"student": person.student, "anchor": anchors.get(person.student), "kinds": person.kinds,
            "reasons": person.reasons, "feedback": _feedback_href(person.student) if row is not None else None,
            "final": grade.final if grade else None, "max": grade.max if grade else None,
            "penalty": grade.penalty if grade else 0.0}


_CELL_WORDS = {"held": "held", "override": "by hand", "tampering": "tampering", "rejected": "rejected",
               "accepted": "accepted", "error": "error", "not graded": "not graded", "missing": "missing"}


def _student_line(row: StudentResult, columns: dict[str, list[str]], reasons: list[Reason], anchor: str) -> dict:
    grade = grade_of(row)
    cells = []
    for ids in columns.values():
        parts = [(e, grade.exercises[e]) for e in ids if e in grade.exercises]
        handed = [(e, g) for e, g in parts if g.state not in ("missing", "not graded")]
        words = sorted({_CELL_WORDS[g.state] for _, g in parts if g.state in _CELL_WORDS and g.state != "missing"})
        points = sum(g.points for _, g in parts)
        if not handed:
            text = "not graded" if any(g.state == "not graded" for _, g in parts) else "missing"
            cells.append({"text": text, "css": "status-missing", "sort": -1.0, "title": ""})
            continue
        text = fmt_points(points) if len(ids) == 1 else f"{fmt_points(points)}/{fmt_points(sum(g.max for _, g in parts))}"
        bad = any(g.state in ("held", "tampering", "rejected", "error", "not graded") for _, g in parts)
        title = "; ".join(f"{e}: {fmt_points(g.points)}/{fmt_points(g.max)} {g.state}" for e, g in parts) if len(ids) > 1 else ""
        cells.append({"text": text + (f" ({', '.join(words)})" if words else ""),
                      "css": "status-bad" if bad else ("status-decided" if words else ""), "sort": points, "title": title})
    note = "; ".join(r.text for r in reasons) or ""
    return {"student": row.student, "anchor": anchor, "total": grade.final, "max": grade.max, "penalty": grade.penalty,
            "cells": cells, "note": note, "feedback": _feedback_href(row.student)}


_MD = MarkdownIt("commonmark", {"html": False}).enable("table")
# feedback_md starts each check's line with its verdict, an emoji and the word; on the page the
# item gets the verdict's colour and keeps the word, and the emoji goes (some systems draw it as
# an empty box). The final grade's line gets a box of its own.
_VERDICTS = (("✅ ", "pass"), ("❌ ", "fail"), ("⏭️ ", "skip"))
_PAGE_STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:60em;margin:1em auto;"
    "padding:0 1em;color:#1d1d1f;line-height:1.45}"
    "h1{font-size:1.6em}h2{font-size:1.2em;border-bottom:2px solid #eceff1;padding-bottom:.2em;margin-top:1.6em}"
    "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2em .6em;text-align:left}"
    "pre{background:#f5f5f5;padding:.5em;overflow-x:auto;white-space:pre-wrap}"
    "li.pass{color:#1b5e20}li.fail{color:#b71c1c}li.skip{color:#546e7a}li.fail pre{color:#1d1d1f}"
    "li.pass::marker{content:'\\2713  ';font-weight:bold}li.fail::marker{content:'\\2717  ';font-weight:bold}"
    "p.final{font-size:1.15em;background:#e8f0fe;border-left:5px solid #1a73e8;padding:.5em .8em}"
)


def _feedback_html(text: str) -> str:
    tokens = _MD.parse(text)
    for i, token in enumerate(tokens):
        if token.type != "inline" or not token.children:
            continue
        first = token.children[0]
        if tokens[i - 1].type == "paragraph_open" and token.content.startswith("**Final grade:"):
            tokens[i - 1].attrSet("class", "final")
        for mark, css in _VERDICTS:
            if first.type == "text" and first.content.startswith(mark) and i >= 2 and tokens[i - 2].type == "list_item_open":
                first.content = first.content[len(mark):]
                tokens[i - 2].attrSet("class", css)
    return _MD.renderer.render(tokens, _MD.options, {})


def feedback_page(row: StudentResult, exercise_ids: list[str], course: Course, existing: Path | None = None) -> str | None:
    """A student's feedback.md rendered as a page that reads on its own, wherever it is opened
    (no link into the class report, which is not the student's; raw HTML in the text stays
    text); None when `existing`/<student>.html was rendered from the same text already."""
    text = feedback_md(row, exercise_ids, course)
    digest = hashlib.sha256(f"{PAGE_FORMAT}\0{text}".encode()).hexdigest()
    stamp = f"<!-- feedback sha256 {digest} -->"
    if existing is not None:
        try:
            with open(existing / f"{file_safe(row.student)}.html", encoding="utf-8") as fh:
                if stamp in fh.readline():
                    return None
        except OSError:
            pass
    body = _feedback_html(text)
    return (f"<!DOCTYPE html>{stamp}\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Feedback for {escape(row.student)}</title><style>{_PAGE_STYLE}</style></head><body>\n"
            f"{body}</body></html>\n")


def _similarity(course: Course, rows: list[StudentResult], exercise_ids: list[str]):
    codes: dict[str, dict[str, str]] = {}
    compared: list[ExerciseSimilarity] = []
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
        exercise = course.exercises[ex_id]
        found = compare(ex_id, ex_codes, _read(exercise.stub_path), _read(exercise.solution_path))
        scores += [p.score for p in found.pairs]
        compared.append(found)
    if without_code:
        notes.append(f"{without_code} handed-in exercise(s) were graded before the gradebook kept code "
                     "and are not compared; grade them again to include them.")
    return compared, scores, notes, codes


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


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
