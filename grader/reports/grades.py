"""grades.csv, grades.json, review.md and feedback/<student>.md, rendered from final grades only
(grader.grading.final computes them; nothing here adds, scales or takes away points).

Everything here is a pure function of the rows (plus run metadata for grades.json), written in a
fixed order, so a run that was interrupted and resumed ends with the same files as one that
was not. Durations and timestamps appear in grades.json only, never in the CSV or feedback.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import TYPE_CHECKING, Any

from grader.atomic import atomic_write
from grader.course import Course
from grader.reports.escape import md_text, visible_controls
from grader.results import (CheckResult, CheckStatus, ExerciseGrade, ExerciseResult, FinalGrade, HandIn,
                            StudentResult, status_word)
from grader.student_view import NO_D2L, student_message

if TYPE_CHECKING:
    from grader.grading.final import ClassGrades


_FILE_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


def file_safe(student: str) -> str:
    """A student id as a file name: its Unicode kept, only characters unsafe in a file name replaced."""
    name = _FILE_UNSAFE.sub("_", student).strip(" .") or "student"
    return name[:120]


def fmt_points(x: float) -> str:
    return f"{round(float(x), 2):g}"


def exercise_status(row: StudentResult, entry: ExerciseResult | None, graded: ExerciseGrade | None = None) -> str:
    """What a spreadsheet cell next to the points says: graded, override, held for review,
    missing, error: syntax, ... (`graded` is the exercise's part of the final grade)."""
    state = graded.state if graded is not None else ""
    if state in _STATE_WORDS:
        return _STATE_WORDS[state]
    if entry is None:
        return "not graded"
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


_STATE_WORDS = {"override": "override", "held": "held for review", "accepted": "review: accepted",
                "rejected": "review: rejected", "tampering": "tampering", "not graded": "not graded"}


# Past this many exercises a table of students shows one column per chapter (the terminal's, the
# report's): 33 columns fit neither a terminal nor a page.
MAX_EXERCISE_COLUMNS = 10


def exercise_columns(exercise_ids: list[str], max_columns: int = MAX_EXERCISE_COLUMNS) -> dict[str, list[str]]:
    """Column title -> the exercises it adds up: one each, or one per chapter past `max_columns`."""
    if len(exercise_ids) <= max_columns:
        return {ex_id: [ex_id] for ex_id in exercise_ids}
    chapters: dict[str, list[str]] = {}
    for ex_id in exercise_ids:
        chapters.setdefault(ex_id.split(".", 1)[0], []).append(ex_id)
    return chapters


def grade_of(row: StudentResult) -> FinalGrade:
    """The row's final grade; a renderer never computes one (grader.grading.final does, once)."""
    if row.grade is None:
        raise ValueError(f"{row.student}: no final grade; rows reach renderers through grader.grading.final")
    return row.grade


# ---------------------------------------------------------------------------- grades.csv

GRADE_COLUMNS = ["raw", "withheld", "by_hand", "penalty", "total", "max", "submitted_at", "time_source",
                 "hours_late", "lateness", "needs_a_person"]


def grades_csv(rows: list[StudentResult], exercise_ids: list[str]) -> str:
    """One row per student: for each exercise the points that count (empty when it was never
    graded) and a status column beside it; then the final grade's parts: raw (the checks),
    withheld (held for review), by_hand (overrides and review decisions), penalty (lateness),
    total (the final grade), max, and the hand-in time with where it came from (README, "grades.csv")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["student"]
    for ex_id in exercise_ids:
        header += [ex_id, f"{ex_id} status"]
    writer.writerow([*header, *GRADE_COLUMNS])
    for row in rows:
        grade = grade_of(row)
        cells = []
        for ex_id in exercise_ids:
            entry, part = row.exercises.get(ex_id), grade.exercises.get(ex_id)
            status = exercise_status(row, entry, part)
            counted = part is not None and part.state not in ("not graded", "missing", "error")
            cells += [fmt_points(part.points) if part is not None and counted else "", status]
        writer.writerow([_csv_safe(row.student), *cells, fmt_points(grade.raw), fmt_points(grade.withheld),
                         fmt_points(grade.by_hand), fmt_points(grade.penalty), fmt_points(grade.final),
                         fmt_points(grade.max), grade.submitted_at, _csv_safe(grade.time_source),
                         fmt_points(grade.hours_late), _csv_safe(grade.lateness),
                         _csv_safe("; ".join(grade.attention))])
    return out.getvalue()


def _csv_safe(text: str) -> str:
    # Spreadsheets run cells starting with these as formulas.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# ---------------------------------------------------------------------------- grades.json

def grades_json(rows: list[StudentResult], exercise_ids: list[str], course: Course, metadata: dict) -> str:
    """grades.json: a published format, so its names are its own (`file`, `check`, `max`) and do
    not follow the results model's; a renamed key bumps a `format` in it (see README).
    `total` is the final grade, `grade` its parts (grader.grading.final)."""
    students = []
    for row in rows:
        grade = grade_of(row)
        exercises = {}
        for ex_id in exercise_ids:
            entry = row.exercises.get(ex_id)
            if not entry:
                continue
            part = grade.exercises[ex_id]
            exercises[ex_id] = {
                "score": entry.score, "max": entry.max, "status": entry.status,
                "counted": part.points, "state": part.state, "note": part.note,
                "message": entry.message, "file": entry.source,
                "notes": list(entry.notes), "sandbox": entry.sandbox,
                "tampering": entry.tampering, "findings": list(entry.findings),
                "seconds": entry.seconds, "worker": entry.worker,
                "cell": exercise_status(row, entry, part),
                "override": dict(part.decision, original=part.raw) if part.state == "override" and part.decision else None,
                "decision": part.decision,
                "checks": [_check_json(c) for c in entry.check_results()],
            }
        students.append({"student": row.student, "source": row.source, "kind": row.kind,
                         "problem": row.problem, "total": grade.final, "max": grade.max,
                         "grade": grade.to_json(),
                         "handin": (row.handin or HandIn()).to_json(),
                         "facts": row.facts, "exercises": exercises})
    doc = {"format": GRADES_JSON_FORMAT, "metadata": metadata,
           "exercises": {e: {"title": course.exercises[e].title, "points": course.exercises[e].points}
                         for e in exercise_ids},
           "for_review": for_review(rows, exercise_ids),
           "students": students}
    return json.dumps(doc, indent=1, sort_keys=False, allow_nan=False, default=str) + "\n"


# 2: `total` is the final grade (after review, overrides and penalty), `grade` its parts, `handin`
#    who and when; an exercise's `findings` replace `review`, `counted`/`state`/`note` are new.
GRADES_JSON_FORMAT = "2"


def _check_json(c: CheckResult) -> dict:
    return {"check": c.check_id, "name": c.name, "title": c.label, "visible": c.visible, "status": str(c.status),
            "points": c.points, "max": c.max_points, "message": c.message, "detail": c.detail,
            "seconds": c.seconds, "device": c.device}


def for_review(rows: list[StudentResult], exercise_ids: list[str]) -> list[dict]:
    """What the instructor should look at: exercises held by the judge's review (0 until
    `grader review accept|reject`), tampering (scored 0), findings flagged under policy "flag",
    and what became of each (the decision, when one was made)."""
    found = []
    for row in rows:
        grade = grade_of(row)
        for ex_id in exercise_ids:
            entry = row.exercises.get(ex_id)
            if entry is not None and (entry.tampering or entry.findings):
                part = grade.exercises[ex_id]
                found.append({"student": row.student, "exercise": ex_id, "state": part.state,
                              "note": part.note, "tampering": entry.tampering,
                              "findings": list(entry.findings)})
    return found


def review_md(rows: list[StudentResult], exercise_ids: list[str]) -> str:
    """review.md, for the instructor only (never in feedback/)."""
    items = for_review(rows, exercise_ids)
    lines = ["# Submissions to look at", ""]
    if not items:
        return "\n".join(lines + ["Nothing was held or flagged.", ""])
    lines += ["A finding of the judge's review holds the exercise's points (counted 0) until you decide: "
              "`grader review accept|reject STUDENT EXERCISE --reason TEXT --out DIR`. Tampering scores 0; "
              "`grader override` sets points by hand.", ""]
    for item in items:
        lines.append(f"## {item['student']}, {item['exercise']}: {_STATE_WORDS.get(item['state'], item['state'])}")
        lines.append("")
        lines += [md_text(item["note"]), ""]
        if item["tampering"]:
            lines += ["**Tampering** (scored 0):", "", _indent_block(item["tampering"]), ""]
        if item["findings"]:
            lines.append("Findings of the judge's review:")
            lines += [f"- `{f}`" if "`" not in f else f"- {f}" for f in item["findings"]]
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
    """A student's feedback: the final grade as grades.csv states it, then each exercise."""
    grade = grade_of(row)
    lines = [f"# Feedback for {md_text(row.student)}", "",
             f"{course.title} (version {course.version})", ""]
    if grade.assignment:
        a = course.assignments[grade.assignment]
        lines += [f"Assignment **{a.id}: {a.title}**, due {grade.due}"
                  + (" (your extension)" if grade.extension else ""), ""]
        lines += [f"Hand-in: {md_text(grade.lateness)}", ""]
    lines += [f"**Final grade: {fmt_points(grade.final)} / {fmt_points(grade.max)} points**", ""]
    parts = [f"the checks gave {fmt_points(grade.raw)}"]
    if grade.withheld:
        parts.append(f"{fmt_points(grade.withheld)} held for review")
    if grade.by_hand:
        parts.append(f"{'+' if grade.by_hand > 0 else '-'}{fmt_points(abs(grade.by_hand))} set by hand")
    if grade.penalty:
        parts.append(f"late penalty -{fmt_points(grade.penalty)}")
    if len(parts) > 1:
        lines += ["(" + ", ".join(parts) + ")", ""]
    if row.problem:
        lines += [f"> **Your submission could not be used:** {md_text(row.problem)}", ""]
    lines += ["| exercise | points | status |", "| --- | --- | --- |"]
    for ex_id in exercise_ids:
        part = grade.exercises.get(ex_id)
        if part is not None and ex_id in row.exercises:
            lines.append(f"| {ex_id} ({md_text(course.exercises[ex_id].title)}) | "
                         f"{fmt_points(part.points)} / {fmt_points(part.max)} | {_status_words(part)} |")
    lines.append("")
    for ex_id in exercise_ids:
        entry = row.exercises.get(ex_id)
        if entry:
            lines += _exercise_feedback(ex_id, entry, grade.exercises[ex_id], course)
    return "\n".join(lines).rstrip() + "\n"


def _status_words(part: ExerciseGrade) -> str:
    """The feedback table's word for an exercise: what a person decided, else what the checks did."""
    if part.state in _STATE_WORDS:
        return _STATE_WORDS[part.state]
    if part.state == "graded":
        return "every check passed" if part.max and part.points >= part.max - 1e-9 else "some checks not passed"
    return {"missing": "not handed in", "error": "could not be graded"}.get(part.state, part.state)


def _exercise_feedback(ex_id: str, entry: ExerciseResult, part: ExerciseGrade, course: Course) -> list[str]:
    ex = course.exercises[ex_id]
    lines = [f"## {ex_id}: {md_text(ex.title)} — {fmt_points(part.points)} / {fmt_points(part.max)}", ""]
    if entry.source:
        lines += [f"Graded file: {md_text(entry.source)}", ""]
    decided = part.state in ("override", "held", "accepted", "rejected")
    if decided:
        # one statement of what counts: the lines below describe what the checks found
        lines += [f"**{md_text(part.note)}**", ""]
        if part.state == "held":
            lines += ["Your instructor will look at this exercise; until then it counts 0 points.", ""]
    for note in entry.notes:
        lines += [f"Note: {md_text(note)}", ""]
    checks_gave = "the checks gave" if decided else "it scores"
    if not entry.graded:
        what = "No file was found" if entry.status == "missing" else "Your file could not be graded"
        lines += [f"**{what}:** {md_text(entry.message)}", "",
                  f"None of this exercise's checks could run, so {checks_gave} 0.", ""]
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
    if decided:
        lines += ["What the checks found:", ""]
    if passed:
        lines.append(f"Passed ({len(passed)}):")
        lines += [f"- ✅ PASSED: {_label(c)} ({fmt_points(c.points)} pt)" for c in passed]
        lines.append("")
    if lost:
        lines.append(f"Not passed ({len(lost)}):")
        for c in lost:
            lines.append(f"- ❌ NOT PASSED: {_label(c)} — **{status_word(c.status)}** "
                         f"(0 / {fmt_points(c.max_points)} pt)")
            message = student_message(c)
            if message:
                lines += ["", _indent_block(message), ""]
        lines.append("")
        statuses = [st for st in CheckStatus if st in {c.status for c in lost} and st.advice]
        if part.state == "override":     # the advice speaks of scores the override replaced
            statuses = [st for st in statuses if st != CheckStatus.TAMPERING]
        if statuses:
            lines.append("What to do:")
            lines += [f"- {st.word}: " + st.advice.format(chapter=ex.chapter) for st in statuses]
            lines.append("")
    if skipped:
        lines.append(f"Skipped ({len(skipped)}):")
        lines += [f"- ⏭️ SKIPPED: {_label(c)}: {md_text(c.message)}" for c in skipped]
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

def write_reports(grades: ClassGrades) -> None:
    """grades.csv, grades.json, review.md and feedback/<student>.md of one gradebook's grades."""
    out, rows, exercise_ids = grades.folder, grades.rows, grades.exercise_ids
    atomic_write(out / "grades.csv", grades_csv(rows, exercise_ids))
    atomic_write(out / "grades.json", grades_json(rows, exercise_ids, grades.course, grades.run))
    atomic_write(out / "review.md", review_md(rows, exercise_ids))
    feedback = out / "feedback"
    feedback.mkdir(parents=True, exist_ok=True)
    keep = set()
    for row in rows:
        name = f"{file_safe(row.student)}.md"
        keep.add(name)
        atomic_write(feedback / name, feedback_md(row, exercise_ids, grades.course))
    # A student no longer in the gradebook (grade --replace) must not keep an old feedback file.
    for old in feedback.glob("*.md"):
        if old.name not in keep:
            old.unlink()
