"""The final grade, computed here once; every output renders it and none computes it again.

For each student of a gradebook (an assignment, a chapter, the course):

    raw          what the checks gave, exercise by exercise
    - withheld   exercises the judge's review holds (a finding), until a person decides
    + by hand    `grader override` (points set by hand) and `grader review accept|reject`
    = adjusted
    - penalty    lateness, from the hand-in time the collection system gave (never from files
                 inside the hand-in; no time, no penalty, and the grade says so)
    = final

`load_class(folder, course)` is the one way an output gets grades: it reads the gradebook (graded
rows, decisions, hand-ins, the run's facts) and returns every row with its `FinalGrade`.
`grader grade`, `grader override`, `grader review`, `grader report` and the exports all call it.
Nothing here imports torch.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.course import Assignment, Course
from grader.grading.gradebook import GRADEBOOK_FILE, Decisions, read_decisions, read_gradebook
from grader.grading.lateness import due_for, late_share
from grader.results import CheckStatus, ExerciseGrade, ExerciseResult, FinalGrade, HandIn, StudentResult

HELD, ACCEPTED, REJECTED, OVERRIDE, TAMPERING = "held", "accepted", "rejected", "override", "tampering"
NOT_GRADED = "not graded"


def _first_line(text: str, limit: int = 120) -> str:
    line = (text or "").strip().split("\n", 1)[0]
    return line[:limit] + ("..." if len(line) > limit else "")


def _findings_text(findings: list[str]) -> str:
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    return _first_line(findings[0]) + more


def exercise_grade(entry: ExerciseResult | None, max_points: float, override: dict | None,
                   review: dict | None, policy: str) -> ExerciseGrade:
    """What one exercise counts for, and why. A person's decision (override) comes last and wins;
    a finding withholds the checks' points under policy "withhold" until accepted."""
    if entry is None:
        graded = ExerciseGrade(NOT_GRADED, 0.0, 0.0, float(max_points), "not graded yet")
    else:
        raw, top = float(entry.score), float(entry.max or max_points)
        if entry.tampering:
            graded = ExerciseGrade(TAMPERING, 0.0, raw, top,
                                   "the grader caught this code changing the grader itself: scored 0 "
                                   "(see review.md; `grader override` sets points by hand)")
        elif entry.findings and policy == "withhold" and entry.graded:
            what = _findings_text(entry.findings)
            decision = (review or {}).get("decision")
            if decision in ("accept", "reject"):
                assert review is not None
                graded = ExerciseGrade(ACCEPTED if decision == "accept" else REJECTED,
                                       raw if decision == "accept" else 0.0, raw, top,
                                       f"held for review ({what}), {decision}ed by {review['by']} on "
                                       f"{review['at']}: {review['reason']}", {"kind": decision, **review})
            else:
                graded = ExerciseGrade(HELD, 0.0, raw, top, f"held for review: {what}")
        elif entry.graded:
            flagged = f"flagged for review (points kept): {_findings_text(entry.findings)}" if entry.findings else ""
            graded = ExerciseGrade("graded", raw, raw, top, flagged)
        else:
            graded = ExerciseGrade(entry.status, raw, raw, top, _first_line(entry.message))
    if override is not None:
        graded = ExerciseGrade(OVERRIDE, float(override["points"]), graded.raw, graded.max,
                               f"points set by {override['by']} on {override['at']}: {override['reason']} "
                               f"(the checks gave {graded.raw:g})", {"kind": "override", **override})
    return graded


def lateness(assignment: Assignment, student: str, handin: HandIn) -> tuple[float, float, str, list[str]]:
    """(hours late, share of the adjusted grade taken, one line saying so, what needs a person).

    Only the collection system's word counts (HandIn). A time that cannot be read, or no time at
    all, takes nothing and says so; an LMS's late marker without a time takes the smallest
    penalty the policy has (one started day or hour), unless the student has an extension, which
    the LMS's marker does not know about."""
    due = due_for(assignment, student)
    source = handin.source or "the collection system"
    if handin.at:
        try:
            hours, share = late_share(assignment, student, handin.at)
        except (ValueError, OverflowError, TypeError):
            return 0.0, 0.0, f"hand-in time {handin.at!r} unreadable: no penalty applied", \
                [f"hand-in time {handin.at!r} from {source} is unreadable: no penalty applied"]
        if hours <= 0:
            return 0.0, 0.0, f"on time (handed in {handin.at}, from {source})", []
        text = f"{hours:.1f} h late (handed in {handin.at}, from {source}): -{share * 100:g} %"
        return hours, share, text, [f"late {hours:.1f} h: penalty {share * 100:g} %"] if share else []
    if handin.late:
        if student in assignment.extensions:
            return 0.0, 0.0, (f"marked late by {source}, but has an extension to {due.isoformat()}: no penalty "
                              "applied; give --times to decide"), \
                [f"marked late by {source} but has an extension: no penalty applied; give --times"]
        _, share = late_share(assignment, student, (due + _dt.timedelta(seconds=1)).isoformat())
        return 0.0, share, (f"marked late by {source}, no time given: the smallest penalty, -{share * 100:g} %; "
                            "give --times for the exact time"), \
            [f"marked late by {source} without a time: smallest penalty {share * 100:g} % applied; give --times"]
    why = handin.source or "no time from the collection system"
    return 0.0, 0.0, f"time unknown ({why}): no penalty applied", []


def finalize(row: StudentResult, course: Course, exercise_ids: list[str], *,
             assignment: Assignment | None = None, decisions: Decisions | None = None,
             handin: HandIn | None = None) -> StudentResult:
    """A copy of `row` with its hand-in and its FinalGrade: the one computation of a grade."""
    decisions = decisions or Decisions()
    handin = handin if handin is not None else decisions.handins.get(row.student, row.handin or HandIn())
    policy = course.grading.findings
    overrides = decisions.overrides.get(row.student, {})
    reviews = decisions.reviews.get(row.student, {})
    exercises = {e: exercise_grade(row.exercises.get(e), course.exercises[e].points, overrides.get(e),
                                   reviews.get(e), policy)
                 for e in exercise_ids}
    scale = 1.0
    if assignment is not None:
        scale = assignment.points / (sum(course.exercises[e].points for e in exercise_ids) or 1)

    def total(values: Any) -> float:
        return round(sum(values) * scale, 4)

    raw = total(g.raw for g in exercises.values())
    withheld = total(g.raw for g in exercises.values() if g.state == HELD)
    adjusted = total(g.points for g in exercises.values())
    grade = FinalGrade(raw=raw, withheld=withheld, by_hand=round(adjusted - raw + withheld, 4), adjusted=adjusted,
                       penalty=0.0, final=adjusted, max=total(g.max for g in exercises.values()),
                       exercises=exercises, submitted_at=handin.at, time_source=handin.source)
    attention: list[str] = []
    if assignment is not None:
        hours, share, text, late_attention = lateness(assignment, row.student, handin)
        penalty = round(adjusted * share, 4)
        grade = replace(grade, assignment=assignment.id, due=due_for(assignment, row.student).isoformat(),
                        extension=row.student in assignment.extensions, hours_late=round(hours, 2),
                        penalty_share=share, penalty=penalty, final=round(adjusted - penalty, 4), lateness=text)
        attention += late_attention
    grade.attention = _attention(row, grade, handin) + attention
    return replace(row, handin=handin, grade=grade)


def finalize_rows(rows: list[StudentResult], course: Course, exercise_ids: list[str], *,
                  assignment: Assignment | None = None, decisions: Decisions | None = None) -> list[StudentResult]:
    """`finalize` for each row."""
    return [finalize(r, course, exercise_ids, assignment=assignment, decisions=decisions) for r in rows]


def _attention(row: StudentResult, grade: FinalGrade, handin: HandIn) -> list[str]:
    """Why this grade needs a person's decision or a conversation, most serious first."""
    found = []
    if row.problem:
        found.append(f"submission could not be used: {_first_line(row.problem)}")
    found += handin.problems
    for ex_id, g in grade.exercises.items():
        entry = row.exercises.get(ex_id)
        if g.state in (HELD, TAMPERING, OVERRIDE, NOT_GRADED):
            found.append(f"{ex_id}: {g.note}")
        elif g.state == "error" and not row.problem:
            found.append(f"{ex_id}: {g.note}")
        if entry is not None and entry.graded and g.state != TAMPERING:
            stuck = [c for c in entry.check_results() if c.status in (CheckStatus.TIMEOUT, CheckStatus.CRASHED,
                                                                       CheckStatus.OOM)]
            if stuck:
                kinds = sorted({str(c.status) for c in stuck})
                found.append(f"{ex_id}: {len(stuck)} check(s) {'/'.join(kinds)}")
    return found


# ---------------------------------------------------------------------------- a gradebook's grades

@dataclass
class ClassGrades:
    """Everything an output needs: the gradebook's rows with their final grades, in one object."""

    folder: Path
    course: Course
    rows: list[StudentResult]
    exercise_ids: list[str]
    assignment: Assignment | None = None
    run: dict[str, Any] = field(default_factory=dict)       # the latest run's facts (grades.json "metadata")
    meta: dict[str, str] = field(default_factory=dict)       # the gradebook's meta table
    decisions: Decisions = field(default_factory=Decisions)

    @property
    def roster(self) -> dict | None:
        return _json(self.meta.get("roster"))

    def row(self, student: str) -> StudentResult | None:
        return next((r for r in self.rows if r.student == student), None)


def gradebook_exercises(course: Course, meta: dict[str, str], rows: list[StudentResult],
                        assignment: Assignment | None) -> list[str]:
    """The exercises a gradebook reports on: an assignment's, else those its runs graded (kept in
    its meta), else those its rows hold, in course order; ones course.toml no longer has left out."""
    if assignment is not None:
        wanted = set(assignment.exercises)
    else:
        wanted = set(_json(meta.get("exercises")) or ()) | {e for r in rows for e in r.exercises}
    return [e for e in course.exercises if e in wanted]


def load_class(folder: Path, course: Course) -> ClassGrades:
    """Read `folder`'s gradebook and finalize every row (GradebookError when it is not one)."""
    folder = Path(folder)
    book = folder / GRADEBOOK_FILE
    rows_by_id, meta = read_gradebook(book)
    decisions = read_decisions(book)
    assignment = course.assignments.get(meta.get("assignment") or "")
    rows = [rows_by_id[s] for s in sorted(rows_by_id)]
    exercise_ids = gradebook_exercises(course, meta, rows, assignment)
    final = finalize_rows(rows, course, exercise_ids, assignment=assignment, decisions=decisions)
    return ClassGrades(folder, course, final, exercise_ids, assignment, _json(meta.get("run")) or {}, meta,
                       decisions)


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


__all__ = ["finalize", "finalize_rows", "exercise_grade", "lateness", "load_class", "ClassGrades", "gradebook_exercises"]
