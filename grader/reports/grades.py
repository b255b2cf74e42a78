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
from grader.grading.gradebook import atomic_write


STATUS_WORDS = {
    "passed": "passed",
    "failed": "wrong result",
    "error": "your code raised an error",
    "timeout": "took too long",
    "oom": "ran out of memory",
    "crashed": "the process running your code died",
    "missing": "missing",
    "forbidden": "used a forbidden built-in",
    "skipped": "skipped",
    "tampering": "changed the grader's own code",
}

ADVICE = {
    "failed": "Your code ran but returned the wrong thing. Compare shape, dtype and values with "
              "what the exercise asks for; run the visible tests (`pytest exercises/{chapter}`) to see a "
              "worked comparison.",
    "error": "Your code raised an exception. The message shows where; run the visible tests locally "
             "to reproduce it.",
    "timeout": "Your code did not finish in time. Look for an infinite loop, or Python loops over "
               "elements where a tensor operation would do.",
    "oom": "Your code used more memory than allowed. Avoid building huge intermediate tensors.",
    "crashed": "The process running your code stopped (exit(), os._exit(), a crash or a killed "
               "process). Remove calls that exit and top-level code that does work at import.",
    "missing": "A file, function or class the exercise asks for was not found. Keep the names and "
               "the file layout of the stub.",
    "forbidden": "You called a built-in this exercise asks you to write yourself. Build it from "
                 "basic tensor operations instead.",
    "tampering": "Your code changed the grader's own code (its checks, recorders or torch itself), so "
                 "the exercise scores 0 and your instructor was told. Only write the functions asked for.",
}


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
                "tampering": entry.get("tampering", ""), "review": entry.get("review", []),
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
           "for_review": for_review(rows, exercise_ids),
           "students": students}
    return json.dumps(doc, indent=1, sort_keys=False, allow_nan=False, default=str) + "\n"


def for_review(rows: list[dict], exercise_ids: list[str]) -> list[dict]:
    """What the instructor should look at: tampering (scored 0) and the static review's flags
    (scored as usual: unusual code is not cheating by itself)."""
    found = []
    for row in rows:
        for ex_id in exercise_ids:
            entry = row.get("exercises", {}).get(ex_id) or {}
            if entry.get("tampering") or entry.get("review"):
                found.append({"student": row["student"], "exercise": ex_id,
                              "tampering": entry.get("tampering", ""), "flags": entry.get("review", [])})
    return found


def review_md(rows: list[dict], exercise_ids: list[str]) -> str:
    """review.md, for the instructor only (never in feedback/)."""
    items = for_review(rows, exercise_ids)
    lines = ["# Submissions to look at", ""]
    if not items:
        return "\n".join(lines + ["Nothing was flagged.", ""])
    lines += ["Tampering scores 0 for the exercise. Flags from the static review change no score.", ""]
    for item in items:
        lines.append(f"## {item['student']}, {item['exercise']}")
        lines.append("")
        if item["tampering"]:
            lines += ["**Tampering** (scored 0):", "", _indent_block(item["tampering"]), ""]
        if item["flags"]:
            lines.append("Static review:")
            lines += [f"- `{flag}`" if "`" not in flag else f"- {flag}" for flag in item["flags"]]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


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
            lines.append(f"- ❌ {_label(c)} — **{STATUS_WORDS.get(c['status'], c['status'])}** "
                         f"(0 / {fmt_points(c['max_points'])} pt)")
            message = student_message(c)
            if message:
                lines += ["", _indent_block(message), ""]
        lines.append("")
        statuses = sorted({c["status"] for c in lost}, key=list(STATUS_WORDS).index)
        lines.append("What to do:")
        lines += [f"- {STATUS_WORDS[s]}: " + ADVICE[s].format(chapter=ex.chapter) for s in statuses if s in ADVICE]
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
    atomic_write(out / "review.md", review_md(rows, exercise_ids))
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
