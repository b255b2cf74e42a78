"""Intake: from the download the instructor has (a folder, or the LMS's bulk download as it
comes) to the Submissions a grading run grades: who handed in, what, and when.

    download --(grader.grading.downloads: which layout, which hand-ins)--> hand-ins
             --(ids that clash refused)--> --(roster: who is who)--> --(each student's files,
             inside that student's error boundary)--> --(times CSV)--> Submissions

Who: each hand-in is keyed by the LMS's own id where the download has one (Canvas's user id,
Moodle's participant id, Gradescope's SID, a Classroom login), else by its folder or zip name,
and named as the download names it. With a roster (grader.grading.roster) it becomes that
roster's student. Raw names that come out as one id once cleaned (`a00 base`, `a00_base`; `bob/`
and `bob.zip`; names that differ only by case) are refused for those students, each told of the
other, and keep their raw names as ids: nobody is renamed `-2`, and sort order decides nothing.

When: only from the collection system or the instructor (see HandIn): Gradescope's metadata
(outside the student's files), Canvas's LATE marker, a zip's mtime where the instructor says the
folder is the drop box (`--times mtime`), and the times CSV (`--times times.csv`), which wins.
Nothing inside a hand-in is read for a time.

One student's data never stops the run: reading a student's files, times, names or roster row
happens inside a per-student boundary; whatever goes wrong there becomes that student's problem
and every other student is collected as usual. What stops the run is the instructor's own input
that cannot be used at all: a missing download, one in no known layout, an unreadable roster or
times file.
"""

from __future__ import annotations

import datetime as _dt
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

from grader.course import Course, Exercise
from grader.errors import GraderError
from grader.grading import roster as roster_mod
from grader.grading.downloads import Found, Options, find_handins
from grader.grading.roster import load_roster, map_hand_ins
from grader.grading.sources import SubmissionError
from grader.grading.submissions import (ExerciseFiles, Submission, exercise_files, read_parts, shown_name,
                                        strip_prefixes)
from grader.grading.times import TimeRow, key, read_times
from grader.grading.tree import Node, open_download


class IntakeError(GraderError):
    """The download, roster or times file as a whole cannot be used: one line saying why."""


@dataclass
class Intake:
    submissions: list[Submission]          # sorted by student id
    layout: str                            # canvas | moodle | gradescope | classroom | folders | nbgrader
    roster_facts: dict | None = None       # with a roster: unmatched, absent, clashes, ambiguous (terminal, report)
    warnings: list[str] = field(default_factory=list)   # likely mistakes in the download, not a student's


def collect(course: Course, root: Path, exercises: list[Exercise], *, layout: str = "auto",
            times: Path | str | None = None, roster: Path | None = None,
            roster_columns: dict[str, str] | None = None, exclude: Iterable[Path] = (),
            nbgrader_assignment: str | None = None, tz: _dt.tzinfo | None = None) -> Intake:
    """Every student of the download at `root` (a folder or a .zip) with their files for
    `exercises` and their HandIn; see the module docstring. `times` is a times CSV or "mtime";
    `tz` is the zone a time without one is read in (the assignment's due date's)."""
    root = Path(root)
    if not root.exists():
        raise IntakeError(f"{root}: no such folder or zip")
    if not root.is_dir() and root.suffix.lower() != ".zip":
        raise IntakeError(f"{root}: give the folder of hand-ins or the LMS's download .zip")
    rows = load_roster(roster, roster_columns) if roster is not None else None
    by_mtime = str(times) == "mtime"
    table = read_times(Path(times), tz) if times is not None and not by_mtime else None
    try:
        top = open_download(root)
    except SubmissionError as exc:
        raise IntakeError(str(exc)) from None
    options = Options(nbgrader_assignment, by_mtime, frozenset(Path(p).resolve() for p in exclude),
                      frozenset(course.chapters))
    chosen, here, listing = find_handins(top, layout, options)
    pairs = [(Submission(f.student, f.kind, f.path, f.problem, handin=f.handin), f)
             for f in _distinct(listing.found)]
    _refuse_clashing_ids(pairs)
    facts, people = (None, {}) if rows is None else _join_roster(pairs, rows, roster)
    _refuse_clashing_ids(pairs)           # an unmatched hand-in's id may be a matched student's
    for sub, found in pairs:
        _read(sub, found, course, exercises, nbgrader_assignment)
    warnings = list(listing.warnings)
    if table is not None:
        warnings += _apply_times(pairs, table, Path(str(times)).name, people)
    subs = sorted((s for s, _ in pairs), key=lambda s: s.student)
    warnings += hand_in_warnings(course, here, subs, [e.id for e in exercises])
    return Intake(subs, chosen, facts, warnings)


def _distinct(found: list[Found]) -> list[Found]:
    """The hand-ins, each (id, source) once: an export that lists one submitter twice names one hand-in."""
    seen, out = set(), []
    for f in found:
        if (f.student, f.raw_name) not in seen:
            seen.add((f.student, f.raw_name))
            out.append(f)
    return out


# ---------------------------------------------------------------------------- who

def _refuse_clashing_ids(pairs: list[tuple[Submission, Found]]) -> None:
    """Hand-ins whose ids are one id (once cleaned, or but for case) are refused, each keyed by
    its raw name and told of the others (see the module docstring)."""
    groups: dict[str, list[tuple[Submission, Found]]] = {}
    for sub, found in pairs:
        if not sub.problem:
            groups.setdefault(sub.student.casefold(), []).append((sub, found))
    for group in groups.values():
        if len(group) < 2:
            continue
        names = sorted(shown_name(f.raw_name) for _, f in group)
        case_only = len({s.student for s, _ in group}) > 1
        for sub, found in group:
            others = ", ".join(repr(n) for n in names if n != shown_name(found.raw_name))
            why = ("have names that differ only by upper/lower case" if case_only
                   else f"are one student id ({sub.student!r}) once their names are cleaned")
            sub.problem = (f"the submissions {shown_name(found.raw_name)!r} and {others} {why}; "
                           "rename or remove one of them and grade again")
            sub.student = shown_name(unicodedata.normalize("NFC", found.raw_name))


def _join_roster(pairs: list[tuple[Submission, Found]], rows: list[roster_mod.RosterStudent],
                 roster: Path | None) -> tuple[dict, dict[str, dict]]:
    """Each hand-in becomes its roster student; a clash or an ambiguous key is that hand-in's problem."""
    mapped = {sub.student: (sub, found) for sub, found in pairs if not sub.problem}
    keys = {sid: roster_mod.Keys(found.handin.lms, found.keys.lms_ids, found.keys.ids, found.keys.emails,
                                 found.keys.names) for sid, (_, found) in mapped.items()}
    mapping = map_hand_ins(keys, rows, {sid: shown_name(f.raw_name) for sid, (_, f) in mapped.items()})
    people = {sid: asdict(s) for sid, s in roster_mod.students_by_id(rows).items()}
    for sid, (sub, found) in mapped.items():
        if sid in mapping.problems:
            sub.problem = f"roster: {mapping.problems[sid]}"
        elif sid in mapping.ids:
            sub.student = mapping.ids[sid]
            person = people[sub.student]
            h = sub.handin
            h.name, h.email, h.section = person["name"] or h.name, person["email"] or h.email, person["section"]
    clashed = {hid for c in mapping.clashes for hid in c["hand_in_ids"]}
    facts = {"file": str(roster), "unmatched": mapping.unmatched,
             "absent": [asdict(p) for p in mapping.absent],
             "clashes": [{k: v for k, v in c.items() if k != "hand_in_ids"} for c in mapping.clashes],
             "ambiguous": [{"hand_in": shown_name(mapped[sid][1].raw_name), "problem": problem}
                           for sid, problem in mapping.problems.items() if sid not in clashed]}
    return facts, people


# ---------------------------------------------------------------------------- what

def _read(sub: Submission, found: Found, course: Course, exercises: list[Exercise],
          assignment: str | None) -> None:
    """The student's files for each exercise, inside this student's error boundary."""
    tree: dict = {}
    skipped: list[str] = []
    if not sub.problem:
        try:
            tree, skipped = read_parts(found.parts, found.expand_zips)
            tree = strip_prefixes(tree, course)
        except SubmissionError as exc:
            sub.problem = str(exc)
        except Exception as exc:  # noqa: BLE001 - never one student's files for the whole class
            sub.problem = f"{shown_name(found.raw_name)} could not be read ({type(exc).__name__})"
    for ex in exercises:
        if sub.problem:
            sub.exercises[ex.id] = ExerciseFiles(ex.id, "error", sub.problem)
            continue
        try:
            files = exercise_files(tree, ex, assignment)
        except Exception as exc:  # noqa: BLE001 - one file's surprise is that exercise's error
            files = ExerciseFiles(ex.id, "error", f"{ex.file} could not be read ({type(exc).__name__})")
        if skipped:
            files.notes.append(f"left out {len(skipped)} file(s) whose names contain control characters "
                               f"(e.g. {skipped[0]}); rename them")
        sub.exercises[ex.id] = files


# ---------------------------------------------------------------------------- when

def _apply_times(pairs: list[tuple[Submission, Found]], table: list[TimeRow], file_name: str,
                 people: dict[str, dict]) -> list[str]:
    """The times CSV's rows onto the hand-ins they name; returns warnings for rows naming nobody.
    A row that names two students, two rows that name one, and a row that is not a time are
    those students' problems."""
    names: dict[int, list[Submission]] = {}
    by_key: dict[str, list[TimeRow]] = {}
    for row in table:
        by_key.setdefault(row.key, []).append(row)
    rows_of: dict[int, list[TimeRow]] = {}
    for i, (sub, found) in enumerate(pairs):
        matched = {r.line: r for k in _time_keys(sub, found, people) for r in by_key.get(k, [])}
        rows_of[i] = list(matched.values())
        for line in matched:
            names.setdefault(line, []).append(sub)
    for i, (sub, _) in enumerate(pairs):
        rows = rows_of[i]
        h = sub.handin
        shared = [r for r in rows if len(names[r.line]) > 1]
        if shared:
            who = ", ".join(s.student for s in names[shared[0].line])
            h.problems.append(f"{file_name} line {shared[0].line} names several students ({who}); give ids")
        elif len(rows) > 1:
            h.problems.append(f"{file_name} lines {', '.join(str(r.line) for r in rows)} all name this student; keep one")
        elif rows and rows[0].problem:
            h.problems.append(rows[0].problem)
        elif rows:
            row = rows[0]
            h.at = row.at
            h.source = f"{file_name} line {row.line}" + (f" (no time zone: read as {row.assumed_zone})"
                                                         if row.assumed_zone else "")
    unused = sorted(r.line for r in table if r.line not in names)
    if unused:
        return [f"{file_name}: {len(unused)} row(s) name no student of this download (lines "
                f"{', '.join(map(str, unused[:8]))}{' ...' if len(unused) > 8 else ''})"]
    return []


def _time_keys(sub: Submission, found: Found, people: dict[str, dict]) -> set[str]:
    h = sub.handin
    raw = found.raw_name[:-4] if found.raw_name.lower().endswith(".zip") else found.raw_name
    values = {sub.student, found.student, raw, h.lms_id, h.email, *found.keys.ids, *found.keys.emails}
    person = people.get(sub.student)
    if person:
        values |= {person["id"], person["email"], person["login"], person["lms_id"]}
    return {key(v) for v in values if v}


# ---------------------------------------------------------------------------- warnings

def hand_in_warnings(course: Course, top: Node, subs: list[Submission], exercise_ids: list[str]) -> list[str]:
    """What is probably a mistake in how the download was given, not in a student's code."""
    warnings = []
    try:
        names = {e.name for e in top.children()}
    except SubmissionError:
        names = set()
    own = [c for c in course.chapters if c in names] + (["exercises"] if "exercises" in names else [])
    if own:
        warnings.append(f"{top.where} holds {', '.join(c + '/' for c in own)} itself: it looks like one student's "
                        "submission; give the folder that holds one folder or .zip per student")
    if len(subs) > 1:
        for e in exercise_ids:
            if all(s.exercises[e].status == "missing" for s in subs if not s.problem):
                warnings.append(f"no student handed in {e} (expected {course.exercises[e].file} or its .ipynb): "
                                "is the file name in course.toml right?")
    return warnings
