"""The numbers of the class report, as pure functions of gradebook rows: summary statistics of
totals, per-exercise outcomes, and item analysis of every check (difficulty, upper-lower
discrimination, point-biserial correlation with the rest of the total).

Item analysis follows classical test theory: a check is an item, a student's item score is the
share of the check's points they earned (0 or 1 for pass/fail checks). Only students who handed
the exercise in count for its checks: a missing file tells nothing about a check, and would make
every check of an exercise the weaker students skipped look discriminating. A check skipped for
a student (a GPU check on a CPU run) is left out of that student's item scores, not counted 0.
The totals that rank students and that the point-biserial uses are the whole totals.

Sample size decides what is shown. With a handful of students every index swings with one of
them (at n = 4 a check is "negatively discriminating" by chance half the time), so a check is
judged only when at least MIN_STUDENTS students handed its exercise in, and a point-biserial
counts as negative only when it is below -2/sqrt(n), beyond what chance gives a check that
tells nothing apart.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from grader.results import StudentResult
from grader.student_view import failure_summary

# Kelley's 27 %: the upper and lower groups that make the discrimination index most reliable.
GROUP_SHARE = 0.27
# Ebel's rule of thumb: a discrimination below 0.2 marks a check worth a second look.
LOW_DISCRIMINATION = 0.2
# Fewer students than this who handed an exercise in: its checks are not judged (see the docstring).
MIN_STUDENTS = 20
FAILURE_STATUSES = ("failed", "error", "timeout", "forbidden", "crashed", "oom", "missing")


@dataclass
class Summary:
    n: int
    mean: float
    median: float
    sd: float            # sample standard deviation (n - 1); 0 for one student
    minimum: float
    maximum: float


def summarize(values: Sequence[float]) -> Summary:
    a = np.asarray(values, dtype=float)
    if a.size == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    sd = float(a.std(ddof=1)) if a.size > 1 else 0.0
    return Summary(int(a.size), float(a.mean()), float(np.median(a)), sd, float(a.min()), float(a.max()))


def student_total(row: StudentResult, exercise_ids: list[str]) -> float:
    return row.totals(exercise_ids)[0]


# ---------------------------------------------------------------------------- per exercise

@dataclass
class ExerciseStats:
    exercise: str
    points: float
    scores: list[float]                   # one per student, 0 for a missing exercise
    summary: Summary
    full: int                             # students with every available point
    zero: int                             # students with 0 points (handed in or not)
    outcomes: dict[str, int]              # "missing" and each check failure status -> students


def exercise_stats(rows: list[StudentResult], exercise_id: str, points: float) -> ExerciseStats:
    """Scores and outcomes of one exercise. A student counts under a failure status when at least
    one of their checks of this exercise ended with it; a missing exercise counts as missing only."""
    scores, full, zero = [], 0, 0
    outcomes = {s: 0 for s in FAILURE_STATUSES}
    for row in rows:
        entry = row.exercises.get(exercise_id)
        if not entry:
            scores.append(0.0)
            zero += 1
            outcomes["missing"] += 1
            continue
        score, maximum = float(entry.score), float(entry.max)
        scores.append(score)
        full += maximum > 0 and score >= maximum - 1e-9
        zero += score <= 1e-9
        if entry.status == "missing":
            outcomes["missing"] += 1
            continue
        seen = {c.status for c in entry.check_results()}
        if entry.status not in ("graded", "missing"):
            seen.add("error")          # the file could not be loaded at all (syntax error...)
        for status in FAILURE_STATUSES:
            if status != "missing" and status in seen:
                outcomes[status] += 1
    return ExerciseStats(exercise_id, points, scores, summarize(scores), full, zero, outcomes)


# ---------------------------------------------------------------------------- item analysis

@dataclass
class ItemStats:
    check_id: str
    exercise: str
    title: str
    visible: bool
    max_points: float
    n: int                       # students with a result for this check (not skipped)
    difficulty: float            # p: mean item score (the pass rate for pass/fail checks)
    discrimination: float        # D: p in the upper 27 % minus p in the lower 27 % (by total)
    point_biserial: float        # r between item score and the total without this check; nan if constant
    flags: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


def group_size(n: int) -> int:
    """Students in each of the upper and lower groups: 27 % of the class, at least one."""
    return max(1, int(round(GROUP_SHARE * n))) if n else 0


def discrimination_index(items: Sequence[float], total_scores: Sequence[float]) -> float:
    """p(upper 27 % by total) - p(lower 27 % by total). Ties at a group's edge are broken by the
    order given (the gradebook's, by student id), so the number is reproducible."""
    n = len(items)
    if n < 2:
        return math.nan
    k = group_size(n)
    order = sorted(range(n), key=lambda i: total_scores[i])     # stable: equal totals keep their order
    lower, upper = order[:k], order[-k:]
    return float(np.mean([items[i] for i in upper]) - np.mean([items[i] for i in lower]))


def point_biserial(items: Sequence[float], rest: Sequence[float]) -> float:
    """Pearson's r of the item score with the rest of the total (the total without this item,
    so the item does not correlate with itself); nan when either is constant."""
    x, y = np.asarray(items, dtype=float), np.asarray(rest, dtype=float)
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    x, y = x - x.mean(), y - y.mean()
    return float((x * y).sum() / math.sqrt((x * x).sum() * (y * y).sum()))


def item_analysis(rows: list[StudentResult], exercise_ids: list[str]) -> list[ItemStats]:
    """One ItemStats per check of the selected exercises, in course order."""
    class_totals = [student_total(r, exercise_ids) for r in rows]
    meta: dict[str, dict] = {}
    scores: dict[str, dict[int, tuple[float, float]]] = {}   # check -> student index -> (item, points)
    for i, row in enumerate(rows):
        for ex_id in exercise_ids:
            entry = row.exercises.get(ex_id)
            if not entry or entry.status == "missing":
                continue        # not handed in: says nothing about the check (see the docstring)
            for c in entry.check_results():
                cid = c.check_id
                meta.setdefault(cid, {"exercise": ex_id, "title": c.label,
                                      "visible": bool(c.visible), "max": float(c.max_points)})
                if c.status == "skipped":
                    continue
                mx = float(c.max_points) or 1.0
                pts = float(c.points)
                scores.setdefault(cid, {})[i] = (min(max(pts / mx, 0.0), 1.0), pts)
    out = []
    for cid, m in meta.items():
        got = scores.get(cid, {})
        idx = sorted(got)
        items = [got[i][0] for i in idx]
        tot = [class_totals[i] for i in idx]
        rest = [class_totals[i] - got[i][1] for i in idx]
        p = float(np.mean(items)) if items else math.nan
        d = discrimination_index(items, tot)
        r = point_biserial(items, rest)
        stats = ItemStats(cid, m["exercise"], m["title"], m["visible"], m["max"], len(items), p, d, r)
        stats.flags = item_flags(stats)
        out.append(stats)
    out.sort(key=lambda it: exercise_ids.index(it.exercise))      # stable: check order kept within
    return out


def item_flags(s: ItemStats, min_students: int = MIN_STUDENTS) -> list[str]:
    """What is worth a second look about a check; nothing for a check fewer than `min_students`
    students were graded on (the report says why it shows none)."""
    if s.n < max(2, min_students):
        return []
    if s.difficulty >= 1 - 1e-9:
        return ["every student passed: tells nothing apart"]
    if s.difficulty <= 1e-9:
        return ["no student passed: check the check"]
    flags = []
    if s.discrimination < 0:
        flags.append("negative discrimination: the weaker students pass it more often")
    elif s.discrimination < LOW_DISCRIMINATION:
        flags.append(f"discrimination below {LOW_DISCRIMINATION:g}")
    if not math.isnan(s.point_biserial) and s.point_biserial < negative_r(s.n):
        flags.append("negative point-biserial")
    return flags


def negative_r(n: int) -> float:
    """Below this a point-biserial of n students is negative beyond chance (about two standard
    errors, 1/sqrt(n) each, of a correlation that is zero)."""
    return -2 / math.sqrt(n) if n else -math.inf


def judged(items: list[ItemStats], min_students: int = MIN_STUDENTS) -> list[ItemStats]:
    """The checks enough students were graded on for their numbers to mean something."""
    return [it for it in items if it.n >= min_students]


@dataclass
class FailureReason:
    text: str                            # its most common wording (failure_summary)
    students: int                        # students whose results said it (at least once)
    failures: int                        # check results that said it
    variants: int                        # distinct wordings grouped under it (they differ in numbers only)
    checks: list[tuple[str, str, int]]   # (exercise, check title, failures there), most first

    @property
    def exercises(self) -> list[tuple[str, int, int]]:
        """(exercise, checks, failures) where it was met, most failures first."""
        found: dict[str, list[int]] = {}
        for exercise, _, n in self.checks:
            slot = found.setdefault(exercise, [0, 0])
            slot[0] += 1
            slot[1] += n
        return sorted(((e, c, n) for e, (c, n) in found.items()), key=lambda t: (-t[2], t[0]))


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", re.I)
NOT_ATTEMPTED = "not attempted: the function still raises the stub's NotImplementedError"


def reason_key(text: str) -> str:
    """What groups two failure texts: the first line, numbers made equal ("84131 of 84131
    entries differ (largest difference 0.643)" and "12 of 84131 ... 0.5" are one reason)."""
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return _NUMBER.sub("#", first)


def failure_reasons(rows: list[StudentResult], exercise_ids: list[str]) -> list[FailureReason]:
    """Why checks fail, reason first: every failed check result of a handed-in exercise, grouped
    by `failure_summary` (a visible check's message, a hidden check's summary: the engine's or the
    check author's words, never the student's exception text; wordings that differ only in
    numbers are one reason; a stub left as handed out is one reason, "not attempted"), the
    reasons most students met first."""
    groups: dict[str, dict] = {}
    for row in rows:
        for ex_id in exercise_ids:
            entry = row.exercises.get(ex_id)
            if not entry or entry.status == "missing":
                continue        # not handed in: counted under per exercise
            for c in entry.check_results():
                if c.status in ("passed", "skipped"):
                    continue
                if c.not_attempted:
                    first = NOT_ATTEMPTED
                else:
                    text = failure_summary(c).splitlines()
                    first = text[0] if text else str(c.status or "failed")
                group = groups.setdefault(reason_key(first), {"wordings": {}, "students": set(), "checks": {}})
                group["wordings"][first] = group["wordings"].get(first, 0) + 1
                group["students"].add(row.student)
                where = (ex_id, c.label)
                group["checks"][where] = group["checks"].get(where, 0) + 1
    out = []
    for group in groups.values():
        wordings = group["wordings"]
        checks = sorted(group["checks"].items(), key=lambda item: (-item[1], item[0]))
        out.append(FailureReason(max(sorted(wordings), key=lambda w: wordings[w]), len(group["students"]),
                                 sum(wordings.values()), len(wordings), [(e, t, n) for (e, t), n in checks]))
    out.sort(key=lambda r: (-r.students, -r.failures, r.text))
    return out


def hardest(items: list[ItemStats], n: int = 10) -> list[str]:
    """The n checks with the lowest pass rate (ties by course order)."""
    ranked = sorted((it for it in items if not math.isnan(it.difficulty)), key=lambda it: it.difficulty)
    return [it.check_id for it in ranked[:n]]


__all__ = ["Summary", "summarize", "student_total", "ExerciseStats", "exercise_stats", "ItemStats",
           "item_analysis", "item_flags", "judged", "negative_r", "failure_reasons", "reason_key", "FailureReason",
           "discrimination_index", "point_biserial", "group_size", "hardest", "FAILURE_STATUSES", "LOW_DISCRIMINATION",
           "MIN_STUDENTS", "NOT_ATTEMPTED"]
