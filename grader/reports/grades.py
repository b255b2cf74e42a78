"""grades.csv, grades.json and feedback/<student>.md, all made from gradebook rows only.

Everything here is a pure function of the rows (plus run metadata for grades.json), written in a
fixed order, so a run that was interrupted and resumed ends with the same files as one that
was not. Durations and timestamps appear in grades.json only, never in the CSV or feedback.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from grader.student_view import student_message
from grader.course import Course
from grader.atomic import atomic_write
from grader.results import CheckStatus, status_word


def fmt_points(x: float) -> str:
    return f"{round(float(x), 2):g}"


def totals(row: dict, exercise_ids: list[str]) -> tuple[float, float]:
    entries = [row.get("exercises", {}).get(e) for e in exercise_ids]
    score = round(sum(float(e["score"]) for e in entries if e), 4)
    maximum = round(sum(float(e["max"]) for e in entries if e), 4)
    return score, maximum


# ---------------------------------------------------------------------------- grades.csv

def grades_csv(rows: list[dict], exercise_ids: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *exercise_ids, "total", "max"])
    for row in rows:
        score, maximum = totals(row, exercise_ids)
        cells = []
        for ex_id in exercise_ids:
            entry = row.get("exercises", {}).get(ex_id)
            cells.append(fmt_points(entry["score"]) if entry else "")
        writer.writerow([_csv_safe(row["student"]), *cells, fmt_points(score), fmt_points(maximum)])
    return out.getvalue()


def _csv_safe(text: str) -> str:
    # Spreadsheets run cells starting with these as formulas.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# ---------------------------------------------------------------------------- grades.json

def grades_json(rows: list[dict], exercise_ids: list[str], course: Course, metadata: dict) -> str:
    students = []
    for row in rows:
        score, maximum = totals(row, exercise_ids)
        exercises = {}
        for ex_id in exercise_ids:
            entry = row.get("exercises", {}).get(ex_id)
            if not entry:
                continue
            exercises[ex_id] = {
                "score": entry["score"], "max": entry["max"], "status": entry["status"],
                "message": entry.get("message", ""), "file": entry.get("source", ""),
                "notes": entry.get("notes", []), "sandbox": entry.get("sandbox"),
                "seconds": entry.get("seconds"), "worker": entry.get("worker"),
                "checks": [{"check": c["check_id"], "name": c["name"], "title": c.get("title", c["name"]),
                            "visible": c["visible"], "status": c["status"], "points": c["points"],
                            "max": c["max_points"], "message": c.get("message", ""),
                            "detail": c.get("detail", ""), "seconds": c.get("seconds"),
                            "device": c.get("device")} for c in entry.get("checks", [])],
            }
        students.append({"student": row["student"], "source": row.get("source", ""), "kind": row.get("kind", ""),
                         "problem": row.get("problem", ""), "total": score, "max": maximum,
                         "facts": row.get("facts", {}), "exercises": exercises})
    doc = {"metadata": metadata,
           "exercises": {e: {"title": course.exercises[e].title, "points": course.exercises[e].points}
                         for e in exercise_ids},
           "students": students}
    return json.dumps(doc, indent=1, sort_keys=False, allow_nan=False, default=str) + "\n"


def run_facts(rows: list[dict]) -> dict:
    """Versions, GPU and sandbox level over all rows: one value when all agree, else the list."""
    facts: dict[str, Any] = {}
    for key in ("python", "torch", "cuda", "device", "gpu", "sandbox"):
        values = sorted({r["facts"].get(key) for r in rows if r.get("facts")}, key=str)
        facts[key] = values[0] if len(values) == 1 else (values or None)
    levels = sorted({e["sandbox"] for r in rows for e in r.get("exercises", {}).values() if e.get("sandbox")})
    facts["sandbox_levels"] = levels
    # Confined: Landlock in force, and nothing the sandbox itself flags as weaker than intended.
    facts["confined"] = bool(levels) and all(
        lv.lower().startswith("landlock") and "WARNING" not in lv and "NOT " not in lv for lv in levels)
    return facts


# ---------------------------------------------------------------------------- feedback

def feedback_md(row: dict, exercise_ids: list[str], course: Course) -> str:
    score, maximum = totals(row, exercise_ids)
    lines = [f"# Feedback for {row['student']}", "",
             f"{course.title} (version {course.version})", "",
             f"**Total: {fmt_points(score)} / {fmt_points(maximum)} points**", ""]
    if row.get("problem"):
        lines += [f"> **Your submission could not be used:** {row['problem']}", ""]
    lines += ["| exercise | points |", "| --- | --- |"]
    for ex_id in exercise_ids:
        entry = row.get("exercises", {}).get(ex_id)
        if entry:
            lines.append(f"| {ex_id} ({course.exercises[ex_id].title}) | "
                         f"{fmt_points(entry['score'])} / {fmt_points(entry['max'])} |")
    lines.append("")
    for ex_id in exercise_ids:
        entry = row.get("exercises", {}).get(ex_id)
        if entry:
            lines += _exercise_feedback(ex_id, entry, course)
    return "\n".join(lines).rstrip() + "\n"


def _exercise_feedback(ex_id: str, entry: dict, course: Course) -> list[str]:
    ex = course.exercises[ex_id]
    lines = [f"## {ex_id}: {ex.title} — {fmt_points(entry['score'])} / {fmt_points(entry['max'])}", ""]
    if entry.get("source"):
        lines += [f"Graded file: `{entry['source']}`", ""]
    for note in entry.get("notes", []):
        lines += [f"Note: {note}", ""]
    if entry["status"] != "graded":
        what = "No file was found" if entry["status"] == "missing" else "Your file could not be graded"
        lines += [f"**{what}:** {entry.get('message', '')}", "",
                  "None of this exercise's checks could run, so it scores 0.", ""]
        return lines
    checks = entry.get("checks", [])
    passed = [c for c in checks if c["status"] == "passed"]
    skipped = [c for c in checks if c["status"] == "skipped"]
    lost = [c for c in checks if c["status"] not in ("passed", "skipped")]
    if not passed and lost and all(not_attempted(c) for c in lost):
        lines += [f"**Not attempted:** every function of this exercise still raises NotImplementedError "
                  f"(the stub as handed out), so none of its {len(lost)} checks could pass. Fill in "
                  f"`{entry.get('source') or ex.file}` and run `pytest exercises/{ex.chapter}`.", ""]
        return lines
    if passed:
        lines.append(f"Passed ({len(passed)}):")
        lines += [f"- ✅ {_label(c)} ({fmt_points(c['points'])} pt)" for c in passed]
        lines.append("")
    if lost:
        lines.append(f"Not passed ({len(lost)}):")
        for c in lost:
            lines.append(f"- ❌ {_label(c)} — **{status_word(c['status'])}** "
                         f"(0 / {fmt_points(c['max_points'])} pt)")
            message = student_message(c)
            if message:
                lines += ["", _indent_block(message), ""]
        lines.append("")
        statuses = [s for s in CheckStatus if s in {c["status"] for c in lost} and s.advice]
        lines.append("What to do:")
        lines += [f"- {s.word}: " + s.advice.format(chapter=ex.chapter) for s in statuses]
        lines.append("")
    if skipped:
        lines.append(f"Skipped ({len(skipped)}):")
        lines += [f"- ⏭️ {_label(c)}: {c.get('message', '')}" for c in skipped]
        lines.append("")
    return lines


def not_attempted(check: dict) -> bool:
    """The check failed only because the function it called is still the stub's."""
    text = check.get("summary") or check.get("message") or ""
    return check.get("status") == "error" and " is not implemented yet" in text.split("\n", 1)[0]


def _label(check: dict) -> str:
    title = check.get("title") or check["name"]
    return title if check["visible"] else f"{title} (hidden check)"


def _indent_block(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return "\n".join("  " + line for line in [fence, *text.splitlines(), fence])


# ---------------------------------------------------------------------------- all files

def write_reports(out: Path, rows: list[dict], exercise_ids: list[str], course: Course,
                  metadata: dict) -> None:
    out = Path(out)
    atomic_write(out / "grades.csv", grades_csv(rows, exercise_ids))
    atomic_write(out / "grades.json", grades_json(rows, exercise_ids, course, metadata))
    feedback = out / "feedback"
    feedback.mkdir(parents=True, exist_ok=True)
    keep = set()
    for row in rows:
        name = f"{row['student']}.md"
        keep.add(name)
        atomic_write(feedback / name, feedback_md(row, exercise_ids, course))
    # A student no longer in the class must not keep an old feedback file.
    for old in feedback.glob("*.md"):
        if old.name not in keep:
            old.unlink()
