"""An exercise's clause table: every sentence of its contract a student must follow, and the
checks that charge it.

The hidden check module declares the contract as `CLAUSES = {id: sentence}`; each check, visible
or hidden, names what it charges with `@check(clause=id)`. The table is sound when every clause
is charged, every check charges declared clauses, and no clause is charged by a visible and a
hidden check both, nor by two visible ones: one slip in one clause then costs one check's points
(see API.md, "One contract slip costs one check").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.checks.runner import Check, collect_checks, load_module
from grader.course import Course, CourseError

ATTRIBUTE = "CLAUSES"


@dataclass
class ClauseTable:
    exercise: str
    clauses: dict[str, str] = field(default_factory=dict)        # id -> sentence, in declaration order
    charged: dict[str, list[Check]] = field(default_factory=dict)  # id -> checks that charge it
    declared: bool = False
    problems: list[str] = field(default_factory=list)


def clause_table(course: Course, exercise_id: str) -> ClauseTable:
    exercise = course.exercise(exercise_id)
    table = ClauseTable(exercise.id)
    checks = collect_checks(course, exercise.id, hidden=True)
    if exercise.hidden_checks_path.is_file():
        declared = getattr(load_module(exercise.hidden_checks_path, "torchgrade_checks"), ATTRIBUTE, None)
        if declared is not None:
            if not isinstance(declared, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                         for k, v in declared.items()):
                raise CourseError(f"{exercise.hidden_checks_path}: {ATTRIBUTE} must map clause ids to sentences")
            table.clauses, table.declared = dict(declared), True
    table.charged = {cid: [] for cid in table.clauses}
    for check in checks:
        if table.declared and not check.info.clauses:
            table.problems.append(f"{check.name} charges no clause: name one with @check(clause=...)")
        for cid in check.info.clauses:
            if cid not in table.clauses:
                table.problems.append(f"{check.name} charges clause {cid!r}, which {ATTRIBUTE} does not declare")
            else:
                table.charged[cid].append(check)
    for cid, by in table.charged.items():
        visible = [c.name for c in by if c.visible]
        hidden = [c.name for c in by if not c.visible]
        if not by:
            table.problems.append(f"clause {cid!r} is charged by no check: {table.clauses[cid]}")
        elif len(visible) > 1 or (visible and hidden):
            table.problems.append(f"clause {cid!r} is charged twice ({', '.join(visible + hidden)}): a slip "
                                  "there would cost more than one check")
    return table
