"""grades.csv, grades.json and feedback/<student>.md, all made from gradebook rows only.

Everything here is a pure function of the rows (plus run metadata for grades.json), written in a
fixed order, so a run that was interrupted and resumed ends with the same files as one that
was not. Durations and timestamps appear in grades.json only, never in the CSV or feedback.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from grader.atomic import atomic_write
from grader.course import Assignment, Course
from grader.grading.lateness import due_for, late_share
from grader.reports.escape import md_text, visible_controls
from grader.results import CheckResult, CheckStatus, ExerciseResult, StudentResult, status_word
from grader.student_view import NO_D2L, student_message


_FILE_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


def file_safe(student: str) -> str:
    """A student id as a file name: its Unicode kept, only characters unsafe in a file name replaced."""
    name = _FILE_UNSAFE.sub("_", student).strip(" .") or "student"
    return name[:120]


def fmt_points(x: float) -> str:
    return f"{round(float(x), 2):g}"


def apply_grading(rows: list[StudentResult], exercise_ids: list[str], course: Course,
                  overrides: dict[str, dict[str, dict]],
                  assignment: Assignment | None = None) -> list[StudentResult]:
    """Copies of the rows with manual overrides in place of the checks' scores (the original kept
    beside it) and, for an assignment, a `grade` block: raw, penalty (lateness, after the checks)
    and final, with the submission time and where it came from."""
    out = []
    for row in rows:
        exercises = dict(row.exercises)
        for ex_id, o in overrides.get(row.student, {}).items():
            entry = exercises.get(ex_id)
            if ex_id in exercise_ids and entry:
                exercises[ex_id] = replace(entry, score=float(o["points"]), override=dict(o, original=entry.score))
        row = replace(row, exercises=exercises)
        score, maximum = row.totals(exercise_ids)
        submitted = row.submitted or {}
        grade: dict[str, Any] = {"raw": score, "max": maximum, "penalty": 0.0, "final": score,
                                 "submitted_at": submitted.get("at", ""),
                                 "time_source": submitted.get("source", "")}
        if assignment is not None:
            # the assignment's points: the checks' scores scaled to what it is worth
            scale = assignment.points / sum(course.exercises[e].points for e in exercise_ids)
            raw = round(score * scale, 4)
            at = submitted.get("at", "")
            hours, share = late_share(assignment, row.student, at)
            penalty = round(raw * share, 4)
            grade = {"raw": raw, "max": round(maximum * scale, 4), "penalty": penalty,
                     "final": round(raw - penalty, 4), "assignment": assignment.id,
                     "due": due_for(assignment, row.student).isoformat(),
                     "extension": row.student in assignment.extensions,
                     "submitted_at": at, "time_source": submitted.get("source", ""),
                     "hours_late": round(hours, 2), "penalty_share": share}
        row.grade = grade
        out.append(row)
    return out


def exercise_status(row: StudentResult, entry: ExerciseResult | None) -> str:
    """What a spreadsheet cell next to the points says: graded, missing, error: syntax, ..."""
    if entry is None:
        return "not graded"
    if entry.override:
        return "override"
    if entry.status == "graded":
        return "graded"
    if entry.status == "missing":
        return "missing"
    message = (entry.message or "").lower()
    if row.problem:
        return "error: submission"
    for needle, word in (("syntax error", "syntax"), ("not utf-8", "encoding"), ("nul bytes", "encoding"),
                         ("larger than", "too large"), ("is empty", "empty"), ("could not be parsed", "syntax")):
        if needle in message:
            return f"error: {word}"
    return "error: unreadable"


# ---------------------------------------------------------------------------- grades.csv

def grades_csv(rows: list[StudentResult], exercise_ids: list[str]) -> str:
    """One row per student: for each exercise its points (empty when it was not graded) and a
    status column beside it; then raw, penalty, total (the final grade: raw - penalty) and max
    (see README, "grades.csv")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["student"]
    for ex_id in exercise_ids:
        header += [ex_id, f"{ex_id} status"]
    writer.writerow([*header, "raw", "penalty", "total", "max", "submitted_at", "time_source", "hours_late"])
    for row in rows:
        grade = row.grade or _plain_grade(row, exercise_ids)
        cells = []
        for ex_id in exercise_ids:
            entry = row.exercises.get(ex_id)
            status = exercise_status(row, entry)
            graded = entry is not None and (entry.graded or bool(entry.override))
            cells += [fmt_points(entry.score) if entry is not None and graded else "", status]
        writer.writerow([_csv_safe(row.student), *cells, fmt_points(grade["raw"]),
                         fmt_points(grade["penalty"]), fmt_points(grade["final"]), fmt_points(grade["max"]),
                         grade.get("submitted_at", ""), grade.get("time_source", ""),
                         fmt_points(grade.get("hours_late", 0))])
    return out.getvalue()


def _plain_grade(row: StudentResult, exercise_ids: list[str]) -> dict:
    score, maximum = row.totals(exercise_ids)
    return {"raw": score, "max": maximum, "penalty": 0.0, "final": score}


def _csv_safe(text: str) -> str:
    # Spreadsheets run cells starting with these as formulas.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# ---------------------------------------------------------------------------- grades.json

def grades_json(rows: list[StudentResult], exercise_ids: list[str], course: Course, metadata: dict) -> str:
    """grades.json: a published format, so its names are its own (`file`, `check`, `max`) and do
    not follow the results model's; a renamed key bumps a `format` in it (see README)."""
    students = []
    for row in rows:
        score, maximum = row.totals(exercise_ids)
        exercises = {}
        for ex_id in exercise_ids:
            entry = row.exercises.get(ex_id)
            if not entry:
                continue
            exercises[ex_id] = {
                "score": entry.score, "max": entry.max, "status": entry.status,
                "message": entry.message, "file": entry.source,
                "notes": list(entry.notes), "sandbox": entry.sandbox,
                "tampering": entry.tampering, "findings": list(entry.findings),
                "seconds": entry.seconds, "worker": entry.worker,
                "cell": exercise_status(row, entry), "override": entry.override,
                "checks": [_check_json(c) for c in entry.check_results()],
            }
        students.append({"student": row.student, "source": row.source, "kind": row.kind,
                         "problem": row.problem, "total": score, "max": maximum,
                         "grade": row.grade or _plain_grade(row, exercise_ids),
                         "roster": row.roster,
                         "facts": row.facts, "exercises": exercises})
    doc = {"metadata": metadata,
           "exercises": {e: {"title": course.exercises[e].title, "points": course.exercises[e].points}
                         for e in exercise_ids},
           "for_review": for_review(rows, exercise_ids),
           "students": students}
    return json.dumps(doc, indent=1, sort_keys=False, allow_nan=False, default=str) + "\n"


def _check_json(c: CheckResult) -> dict:
    return {"check": c.check_id, "name": c.name, "title": c.label, "visible": c.visible, "status": str(c.status),
            "points": c.points, "max": c.max_points, "message": c.message, "detail": c.detail,
            "seconds": c.seconds, "device": c.device}


def for_review(rows: list[StudentResult], exercise_ids: list[str]) -> list[dict]:
    """What the instructor should look at: tampering (scored 0) and the findings of the judge's
    review (code outside the Python a course exercise needs)."""
    found = []
    for row in rows:
        for ex_id in exercise_ids:
            entry = row.exercises.get(ex_id)
            if entry is not None and (entry.tampering or entry.findings):
                found.append({"student": row.student, "exercise": ex_id,
                              "tampering": entry.tampering, "findings": list(entry.findings)})
    return found


def review_md(rows: list[StudentResult], exercise_ids: list[str]) -> str:
    """review.md, for the instructor only (never in feedback/)."""
    items = for_review(rows, exercise_ids)
    lines = ["# Submissions to look at", ""]
    if not items:
        return "\n".join(lines + ["Nothing was flagged.", ""])
    lines += ["Tampering scores 0 for the exercise. Findings are what the judge's review of the source "
              "found outside the Python a course exercise needs.", ""]
    for item in items:
        lines.append(f"## {item['student']}, {item['exercise']}")
        lines.append("")
        if item["tampering"]:
            lines += ["**Tampering** (scored 0):", "", _indent_block(item["tampering"]), ""]
        if item["findings"]:
            lines.append("Findings:")
            lines += [f"- `{line}`" if "`" not in line else f"- {line}" for line in item["findings"]]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def run_facts(rows: list[StudentResult]) -> dict:
    """Versions, GPU and sandbox level over all rows: one value when all agree, else the list."""
    facts: dict[str, Any] = {}
    for key in ("python", "torch", "cuda", "device", "gpu", "sandbox"):
        values = sorted({r.facts.get(key) for r in rows if r.facts}, key=str)
        facts[key] = values[0] if len(values) == 1 else (values or None)
    levels = sorted({e.sandbox for r in rows for e in r.exercises.values() if e.sandbox})
    facts["sandbox_levels"] = levels
    # Confined: Landlock in force, and nothing the sandbox itself flags as weaker than intended.
    facts["confined"] = bool(levels) and all(
        lv.lower().startswith("landlock") and "WARNING" not in lv and "NOT " not in lv for lv in levels)
    return facts


# ---------------------------------------------------------------------------- feedback

def feedback_md(row: StudentResult, exercise_ids: list[str], course: Course) -> str:
    score, maximum = row.totals(exercise_ids)
    lines = [f"# Feedback for {md_text(row.student)}", "",
             f"{course.title} (version {course.version})", ""]
    grade = row.grade or {}
    if grade.get("assignment"):
        a = course.assignments[grade["assignment"]]
        lines += [f"Assignment **{a.id}: {a.title}**, due {grade['due']}"
                  + (" (your extension)" if grade.get("extension") else ""), ""]
        when = grade.get("submitted_at") or "unknown"
        lines += [f"Handed in: {when} (from {grade.get('time_source') or 'nothing'})"
                  + (f", {fmt_points(grade['hours_late'])} h late" if grade.get("hours_late") else ", on time"), ""]
        lines += [f"**Raw: {fmt_points(grade['raw'])} / {fmt_points(grade['max'])}, late penalty: "
                  f"-{fmt_points(grade['penalty'])}, final: {fmt_points(grade['final'])} / "
                  f"{fmt_points(grade['max'])} points**", ""]
    else:
        lines += [f"**Total: {fmt_points(score)} / {fmt_points(maximum)} points**", ""]
    if row.problem:
        lines += [f"> **Your submission could not be used:** {md_text(row.problem)}", ""]
    lines += ["| exercise | points |", "| --- | --- |"]
    for ex_id in exercise_ids:
        entry = row.exercises.get(ex_id)
        if entry:
            lines.append(f"| {ex_id} ({course.exercises[ex_id].title}) | "
                         f"{fmt_points(entry.score)} / {fmt_points(entry.max)} |")
    lines.append("")
    for ex_id in exercise_ids:
        entry = row.exercises.get(ex_id)
        if entry:
            lines += _exercise_feedback(ex_id, entry, course)
    return "\n".join(lines).rstrip() + "\n"


def _exercise_feedback(ex_id: str, entry: ExerciseResult, course: Course) -> list[str]:
    ex = course.exercises[ex_id]
    lines = [f"## {ex_id}: {ex.title} — {fmt_points(entry.score)} / {fmt_points(entry.max)}", ""]
    if entry.source:
        lines += [f"Graded file: {md_text(entry.source)}", ""]
    if entry.override:
        o = entry.override
        lines += [f"**Points set by {o['by']} on {o['at']}: {fmt_points(o['points'])}** "
                  f"(the checks gave {fmt_points(o['original'])}). Reason: {md_text(o['reason'])}", ""]
    for note in entry.notes:
        lines += [f"Note: {md_text(note)}", ""]
    if not entry.graded:
        what = "No file was found" if entry.status == "missing" else "Your file could not be graded"
        lines += [f"**{what}:** {md_text(entry.message)}", "",
                  "None of this exercise's checks could run, so it scores 0.", ""]
        return lines
    checks = entry.check_results()
    passed = [c for c in checks if c.status == "passed"]
    skipped = [c for c in checks if c.status == "skipped"]
    lost = [c for c in checks if c.status not in ("passed", "skipped")]
    if not passed and lost and all(c.not_attempted for c in lost):
        lines += [f"**Not attempted:** every function of this exercise still raises NotImplementedError "
                  f"(the stub as handed out), so none of its {len(lost)} checks could pass. Fill in "
                  f"`{entry.source or ex.file}` and run `pytest exercises/{ex.chapter}`.", ""]
        return lines
    if not passed and lost and all(c.summary == NO_D2L for c in lost):
        lines += [f"**Could not be imported:** {NO_D2L}. None of its {len(lost)} checks could run.", ""]
        return lines
    if passed:
        lines.append(f"Passed ({len(passed)}):")
        lines += [f"- ✅ {_label(c)} ({fmt_points(c.points)} pt)" for c in passed]
        lines.append("")
    if lost:
        lines.append(f"Not passed ({len(lost)}):")
        for c in lost:
            lines.append(f"- ❌ {_label(c)} — **{status_word(c.status)}** "
                         f"(0 / {fmt_points(c.max_points)} pt)")
            message = student_message(c)
            if message:
                lines += ["", _indent_block(message), ""]
        lines.append("")
        statuses = [s for s in CheckStatus if s in {c.status for c in lost} and s.advice]
        lines.append("What to do:")
        lines += [f"- {s.word}: " + s.advice.format(chapter=ex.chapter) for s in statuses]
        lines.append("")
    if skipped:
        lines.append(f"Skipped ({len(skipped)}):")
        lines += [f"- ⏭️ {_label(c)}: {md_text(c.message)}" for c in skipped]
        lines.append("")
    return lines


def _label(check: CheckResult) -> str:
    # the check author's words, not the student's
    return check.label if check.visible else f"{check.label} (hidden check)"


def _indent_block(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    # inside a fence nothing is markup; only control characters (terminal escapes) are left to defuse
    return "\n".join("  " + line for line in [fence, *map(visible_controls, text.splitlines()), fence])


# ---------------------------------------------------------------------------- all files

def write_reports(out: Path, rows: list[StudentResult], exercise_ids: list[str], course: Course,
                  metadata: dict, overrides: dict[str, dict[str, dict]] | None = None,
                  assignment: Assignment | None = None) -> None:
    out = Path(out)
    rows = apply_grading(rows, exercise_ids, course, overrides or {}, assignment)
    atomic_write(out / "grades.csv", grades_csv(rows, exercise_ids))
    atomic_write(out / "grades.json", grades_json(rows, exercise_ids, course, metadata))
    atomic_write(out / "review.md", review_md(rows, exercise_ids))
    feedback = out / "feedback"
    feedback.mkdir(parents=True, exist_ok=True)
    keep = set()
    for row in rows:
        name = f"{file_safe(row.student)}.md"
        keep.add(name)
        atomic_write(feedback / name, feedback_md(row, exercise_ids, course))
    # A student no longer in the class must not keep an old feedback file.
    for old in feedback.glob("*.md"):
        if old.name not in keep:
            old.unlink()
