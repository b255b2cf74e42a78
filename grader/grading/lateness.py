"""What being late costs: the due date of one student (an extension, else the assignment's) and
the share of the raw score a late hand-in loses. Read after the checks, never inside them.

When a student handed in is not decided here: that is the hand-in's time as the collection
system or the instructor gives it (grader.results.HandIn, made by grader.grading.intake).
"""

from __future__ import annotations

import datetime as _dt
import math

from grader.course import Assignment


def due_for(assignment: Assignment, student: str) -> _dt.datetime:
    return assignment.extensions.get(student, assignment.due)


def late_share(assignment: Assignment, student: str, submitted_at: str) -> tuple[float, float]:
    """(hours late, share of the raw score taken away) for one student; a time that is unknown
    ("") takes nothing."""
    if not submitted_at:
        return 0.0, 0.0
    late = (_dt.datetime.fromisoformat(submitted_at) - due_for(assignment, student)).total_seconds() / 3600
    if late <= 0:
        return 0.0, 0.0
    p = assignment.late_policy
    if p.cutoff is not None and late > p.cutoff:
        return late, 1.0
    share = p.per_day * math.ceil(late / 24) + p.per_hour * math.ceil(late)
    return late, min(share, p.max_penalty, 1.0)
