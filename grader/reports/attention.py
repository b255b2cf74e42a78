"""Who needs a person, and why: the one list that `grader grade` prints at its end and report.html
shows on its first screen.

Its source is the final grade (grader.grading.final puts, in each FinalGrade's `attention`, why
that grade needs a decision or a conversation) and the roster's facts (students on the roster who
handed in nothing, hand-ins the roster does not know). Each line keeps its words; what is added
here is its *kind* (tampering, held for review, could not be graded, ...), read from the state the
final grade gave the exercise the line names, so that a page can sort, colour and count them.
Nothing here computes a grade.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grader.results import FinalGrade, StudentResult

# kind -> the words a person reads; in this order of urgency (a list is sorted by it)
KINDS = {
    "tampering": "tampering",
    "held": "held for review",
    "error": "could not be graded",
    "crashed": "crashed",
    "timeout": "timed out",
    "not graded": "not graded yet",
    "roster": "roster",
    "nothing": "handed in nothing",
    "late": "late",
    "override": "set by hand",
    "hand-in": "hand-in",
}
_STATE_KIND = {"held": "held", "tampering": "tampering", "override": "override", "not graded": "not graded",
               "error": "error"}
# final.py's line for checks that timed out, crashed or ran out of memory: "ch3.softmax: 7 check(s) timeout"
_STUCK = re.compile(r"\d+ check\(s\) (?P<kinds>[a-z/]+)")
_DETAIL_LINES = 5


@dataclass(frozen=True)
class Reason:
    kind: str                        # a key of KINDS
    text: str                        # the line as the final grade (or the roster) says it
    exercise: str = ""               # the exercise it is about, "" for the whole hand-in
    detail: tuple[str, ...] = ()     # the review's findings or what the tampering changed, for a person

    @property
    def label(self) -> str:
        return KINDS[self.kind]


@dataclass
class PersonToSee:
    student: str
    reasons: list[Reason] = field(default_factory=list)
    graded: bool = True              # False: on the roster only, no row in the gradebook

    @property
    def why(self) -> list[str]:
        return [r.text for r in self.reasons]

    @property
    def kinds(self) -> list[str]:
        """Its kinds, each once, most urgent first."""
        return sorted({r.kind for r in self.reasons}, key=list(KINDS).index)


def reasons_of(row: StudentResult, exercise_ids: list[str] | None = None) -> list[Reason]:
    """Why this row's grade needs a person (its FinalGrade's attention, each line with its kind),
    and "handed in nothing" when every exercise is missing."""
    grade = row.grade
    if grade is None:
        return []
    found = [_reason(line, row, grade) for line in grade.attention]
    ids = list(grade.exercises) if exercise_ids is None else exercise_ids
    if ids and not row.problem and all(e not in row.exercises or row.exercises[e].status == "missing" for e in ids):
        found.append(Reason("nothing", "handed in nothing: every exercise missing"))
    return found


def _reason(line: str, row: StudentResult, grade: FinalGrade) -> Reason:
    if line.startswith("submission could not be used"):
        return Reason("error", line)
    exercise, sep, rest = line.partition(": ")
    if sep and exercise in grade.exercises:
        stuck = _STUCK.fullmatch(rest)
        if stuck:
            return Reason("timeout" if "timeout" in stuck["kinds"] else "crashed", line, exercise)
        kind = _STATE_KIND.get(grade.exercises[exercise].state, "hand-in")
        return Reason(kind, line, exercise, tuple(d for d in _detail(kind, row, exercise) if d not in line))
    if line.startswith(("late ", "marked late")):
        return Reason("late", line)
    return Reason("hand-in", line)


def _detail(kind: str, row: StudentResult, exercise: str) -> tuple[str, ...]:
    entry = row.exercises.get(exercise)
    if entry is None:
        return ()
    if kind == "held":
        lines = list(entry.findings)
    elif kind == "tampering":
        lines = [line.strip() for line in entry.tampering.splitlines() if line.strip()]
    else:
        return ()
    more = [f"... and {len(lines) - _DETAIL_LINES} more"] if len(lines) > _DETAIL_LINES else []
    return tuple(lines[:_DETAIL_LINES] + more)


def needs_a_person(rows: list[StudentResult], roster: dict | None = None,
                   exercise_ids: list[str] | None = None) -> list[PersonToSee]:
    """Every student whose grade needs a person's decision or a conversation, most urgent first:
    the rows' final grades, then the roster's facts (`grade --roster`: students who handed in
    nothing, hand-ins it does not know, ids it could not tell apart)."""
    people: dict[str, PersonToSee] = {}
    for row in rows:
        reasons = reasons_of(row, exercise_ids)
        if reasons:
            people[row.student] = PersonToSee(row.student, reasons)
    roster = roster or {}

    def add(student: str, reason: Reason, graded: bool = True) -> None:
        people.setdefault(student, PersonToSee(student, graded=graded)).reasons.append(reason)

    for sid in roster.get("unmatched", []):
        add(sid, Reason("roster", "not on the roster (graded under its own id)"))
    for person in roster.get("absent", []):
        name = f" ({person['name']})" if person.get("name") else ""
        add(person["id"], Reason("roster", f"on the roster{name}, handed in nothing"), graded=False)
    for item in [*roster.get("clashes", []), *roster.get("ambiguous", []), *roster.get("problems", [])]:
        who = item.get("roster_id") or item.get("student") or item.get("hand_in") or "?"
        add(who, Reason("roster", item.get("problem", "") or "a roster problem"))
    rank = list(KINDS).index
    return sorted(people.values(), key=lambda p: (min(rank(r.kind) for r in p.reasons), p.student))


def kind_counts(people: list[PersonToSee]) -> list[tuple[str, str, int]]:
    """(kind, label, students) for each kind some student has, most urgent first."""
    counts: dict[str, int] = {}
    for person in people:
        for kind in person.kinds:
            counts[kind] = counts.get(kind, 0) + 1
    return [(k, KINDS[k], counts[k]) for k in KINDS if k in counts]


__all__ = ["KINDS", "Reason", "PersonToSee", "reasons_of", "needs_a_person", "kind_counts"]
