"""The results model, in one place: what a check's status means (`CheckStatus`: the word students
read, the terminal's colour, the advice feedback gives, the mark `check()` prints) and what a
result is: `CheckResult` (one check for one student), `ExerciseResult` (one exercise: its file's
fate, its checks, its points) and `StudentResult` (one gradebook row). The gradebook stores them,
judges send them, and every renderer (terminal table, grades.csv/json, feedback.md, the class
report, Gradescope's results.json, nbgrader's cells, `check()`) reads them.

`to_json()` gives the form the gradebook stores (plain JSON values, the keys it has always had) and
`from_json()` reads it back, also from rows older engines wrote. Published formats with other
names (grades.json) are views their renderers make of these objects.

`CheckStatus` is a `str` enum, so a status read back from the gradebook or results.json
("failed") compares equal to `CheckStatus.FAILED` and every stored format keeps its strings.
Shipped in the student release (`check()` and the pytest plugin use it), so it imports nothing
heavy: no torch, no rich.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterable, Mapping, TypeVar


class CheckStatus(str, Enum):
    # value, word shown to students, rich style in the terminal, advice ("" for none), mark in check()
    PASSED = ("passed", "passed", "green", "", "PASS")
    FAILED = ("failed", "wrong result", "yellow",
              "Your code ran but returned the wrong thing. Compare shape, dtype and values with "
              "what the exercise asks for; run the visible tests (`pytest exercises/{chapter}`) to see a "
              "worked comparison.", "FAIL")
    ERROR = ("error", "your code raised an error", "red",
             "Your code raised an exception. The message shows where; run the visible tests locally "
             "to reproduce it.", "FAIL")
    TIMEOUT = ("timeout", "took too long", "magenta",
               "Your code did not finish in time. Look for an infinite loop, or Python loops over "
               "elements where a tensor operation would do.", "FAIL")
    OOM = ("oom", "ran out of memory", "magenta",
           "Your code used more memory than allowed. Avoid building huge intermediate tensors.", "FAIL")
    CRASHED = ("crashed", "the process running your code died", "red",
               "The process running your code stopped (exit(), os._exit(), a crash or a killed "
               "process). Remove calls that exit and top-level code that does work at import.", "FAIL")
    MISSING = ("missing", "missing", "dim",
               "A file, function or class the exercise asks for was not found. Keep the names and "
               "the file layout of the stub.", "FAIL")
    FORBIDDEN = ("forbidden", "used a forbidden built-in", "red",
                 "You called a built-in this exercise asks you to write yourself. Build it from "
                 "basic tensor operations instead.", "FAIL")
    SKIPPED = ("skipped", "skipped", "cyan", "", "SKIP")
    TAMPERING = ("tampering", "changed the grader's own code", "bold red",
                 "Your code changed the grader's own code (its checks, recorders or torch itself), so "
                 "the exercise scores 0 and your instructor was told. Only write the functions asked for.",
                 "FAIL")

    word: str
    style: str
    advice: str
    mark: str

    def __new__(cls, value: str, word: str, style: str, advice: str, mark: str) -> CheckStatus:
        member = str.__new__(cls, value)
        member._value_ = value
        member.word, member.style, member.advice, member.mark = word, style, advice, mark
        return member

    def __str__(self) -> str:
        return self.value

    @classmethod
    def of(cls, status: str) -> CheckStatus | None:
        """The status a stored string names, None for a string no engine version wrote."""
        return _BY_VALUE.get(status)


_BY_VALUE: dict[str, CheckStatus] = {s.value: s for s in CheckStatus}


def status_word(status: str) -> str:
    """The word students read for `status` (the string itself when it is unknown)."""
    known = CheckStatus.of(status)
    return known.word if known else status


def status_style(status: str) -> str:
    known = CheckStatus.of(status)
    return known.style if known else "white"


def status_mark(status: str) -> str:
    known = CheckStatus.of(status)
    return known.mark if known else "FAIL"


STATUSES: tuple[str, ...] = tuple(s.value for s in CheckStatus)


# ---------------------------------------------------------------------------- results

class ResultFormatError(ValueError):
    """Stored JSON that is not a result: a required key is missing or a value has the wrong shape."""


_R = TypeVar("_R")


def _read(cls: type[_R], data: Any, where: str, nested: Mapping[str, Any] | None = None) -> _R:
    """`cls` from its JSON object. Keys `cls` does not declare are ignored (see `from_json`);
    a declared key that is missing takes its default, and one without a default is an error."""
    if not isinstance(data, Mapping):
        raise ResultFormatError(f"{where}: expected a JSON object, got {type(data).__name__}")
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            value = data[f.name]
            if nested and f.name in nested and value is not None:
                value = nested[f.name](value, f"{where}.{f.name}")
            values[f.name] = value
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ResultFormatError(f"{where}: no {f.name!r}")
    return cls(**values)


def _write(obj: Any, nested: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON object of a result: every field but those that are None (None is each optional
    field's default, so leaving it out reads back the same and keeps rows as they always were)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value is None:
            continue
        if nested and f.name in nested:
            value = nested[f.name](value)
        elif isinstance(value, (list, dict)):
            value = type(value)(value)       # a copy: the JSON must not share lists with the object
        out[f.name] = value
    return out


class _Flat:
    """JSON for a result whose fields are all plain values (see _write/_read)."""

    def to_json(self) -> dict[str, Any]:
        return _write(self)

    @classmethod
    def from_json(cls: type[_R], data: Mapping[str, Any], where: str = "result") -> _R:
        return _read(cls, data, where)


@dataclass
class CheckResult:
    """One check of one exercise, run once against one student's code.

    `message` is the instructor's view (for a visible check, also the student's); `summary` is
    what a hidden check may tell the student (grader.student_view decides); `detail` is for the
    instructor only. `points` of `max_points` are check points, before the exercise's scaling.
    """

    check_id: str                # "ch4.dropout::test_rate"
    name: str                    # the check function's name
    visible: bool                # in the student's own test file
    status: str                  # a CheckStatus value
    points: float
    max_points: float            # 0 for a check the GPU policy 'skip' left out
    message: str = ""
    detail: str = ""
    seconds: float = 0.0
    device: str = "cpu"
    summary: str = ""
    title: str = ""              # the check's description (its docstring's first line)

    @property
    def label(self) -> str:
        """What renderers call the check: its title, else (an older row) its function's name."""
        return self.title or self.name

    @property
    def not_attempted(self) -> bool:
        """The check failed only because the function it called is still the stub's."""
        first = (self.summary or self.message or "").split("\n", 1)[0]
        if self.status == CheckStatus.ERROR:
            return " is not implemented yet" in first
        # a check that expected another exception (expect.raises) and met the stub's
        return self.status == CheckStatus.FAILED and first.endswith("but it raised NotImplementedError")

    def to_json(self) -> dict[str, Any]:
        """The gradebook's JSON object for this result (see the module docstring)."""
        out = _write(self)
        out["status"] = str(self.status)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str = "check") -> CheckResult:
        """A CheckResult from `to_json()`'s object or an older engine's. Keys this version does
        not know are ignored: a newer engine may add fields (one that changes what a field means
        bumps the gradebook's schema instead, which `read_gradebook` refuses), and a report that
        reads on is worth more than one that stops at a field it cannot show. A missing required
        key is a ResultFormatError naming it."""
        return _read(cls, data, where)


@dataclass
class ExerciseResult:
    """One exercise of one student: what became of their file, the checks run, the points.

    `status` is the file's: "graded" (the checks ran), "missing" (nothing handed in) or "error"
    (a file that could not be used; `message` says why, and every check carries it). `score`
    of `max` are the exercise's points from course.toml, after the checks' scaling. A field
    that is None is one an older engine did not keep (`checks`, `code`) or one that does not
    apply (`worker` for a file never run).
    """

    status: str
    score: float = 0.0
    max: float = 0.0
    message: str = ""
    source: str = ""                                      # the file graded, in the submission
    notes: list[str] = field(default_factory=list)         # for the student: cells dropped, ...
    checks: list[CheckResult] | None = None
    worker: dict[str, Any] | None = None                   # the sandbox worker's report
    sandbox: str | None = None                             # the confinement the code ran under
    seconds: float | None = None
    key: str = ""                                          # what the result depends on (gradebook.exercise_key)
    code: str | None = None                                # the module's text, for similarity
    tampering: str = ""                                    # what the engine caught changing itself
    findings: list[str] = field(default_factory=list)      # the judge's review: "line 12: uses torch.ops"

    @property
    def graded(self) -> bool:
        return self.status == "graded"

    def check_results(self) -> list[CheckResult]:
        """The checks, [] for a row written before per-check results were kept."""
        return self.checks or []

    def to_json(self) -> dict[str, Any]:
        return _write(self, {"checks": lambda checks: [c.to_json() for c in checks]})

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str = "exercise") -> ExerciseResult:
        """As CheckResult.from_json: unknown keys ignored, a missing `status` an error. A row from
        before findings held an exercise keeps its review flags as findings."""
        if isinstance(data, Mapping) and "review" in data and "findings" not in data:
            data = {**data, "findings": data["review"]}
        return _read(cls, data, where, {"checks": _read_checks})


def _read_checks(data: Any, where: str) -> list[CheckResult]:
    if not isinstance(data, list):
        raise ResultFormatError(f"{where}: expected a list, got {type(data).__name__}")
    return [CheckResult.from_json(c, f"{where}[{i}]") for i, c in enumerate(data)]


def _read_exercises(data: Any, where: str) -> dict[str, ExerciseResult]:
    if not isinstance(data, Mapping):
        raise ResultFormatError(f"{where}: expected a JSON object, got {type(data).__name__}")
    return {ex_id: ExerciseResult.from_json(e, f"{where}.{ex_id}") for ex_id, e in data.items()}


@dataclass
class HandIn(_Flat):
    """Who handed in and when, as the collection system says: made by intake (grader.grading), kept
    in the gradebook beside the graded row, read by the final grade (grader.grading.final).

    The time never comes from files inside the hand-in (metadata, timestamps, member dates, mtimes
    after extraction): a student writes those. `at` is "" when the collection system gave no time;
    then no penalty is taken unless the LMS's own late marker (`late`) says more.
    """

    at: str = ""                      # ISO 8601 in UTC, "" when unknown
    source: str = ""                  # where `at` (or `late`) came from: "times.csv", "Canvas LATE marker", ...
    late: bool | None = None          # the LMS's own late flag where it gives no time (Canvas's LATE)
    lms: str = ""                     # folders | zips | canvas | moodle | gradescope | classroom | nbgrader
    lms_id: str = ""                  # the LMS's own id of the student (Canvas user id, Moodle participant id)
    submission_id: str = ""           # Canvas: the file id its download names a hand-in by, which its
                                      # Re-Upload Submissions reads to attach feedback to this student
    name: str = ""                    # the student's name as the download or roster says
    email: str = ""
    section: str = ""
    raw_name: str = ""                # the folder, zip or file name the student came from
    problems: list[str] = field(default_factory=list)   # this student's intake problems (times, roster)


@dataclass
class ExerciseGrade(_Flat):
    """What one exercise counts for in the final grade, and why (grader.grading.final decides).

    `state`: graded | missing | error | not graded | held (a finding of the judge's review, points
    withheld until a person decides) | accepted | rejected (that person's decision) | override
    (points set by hand) | tampering (scored 0 by the engine). `points` and `raw` are the
    exercise's course points, before an assignment scales them.
    """

    state: str
    points: float                     # what counts
    raw: float                        # what the checks gave
    max: float
    note: str = ""                    # one line for people: why `points` is not `raw`
    decision: dict[str, Any] | None = None   # a person's: {kind: override|accept|reject, reason, by, at, points?}


@dataclass
class FinalGrade:
    """One student's final grade for one gradebook (an assignment, a chapter, the course), made
    once by grader.grading.final.finalize from the checks' scores and the decisions people made:

        raw - withheld (findings not yet decided) + by_hand (overrides, review decisions)
            = adjusted;  adjusted - penalty (lateness) = final

    Every output renders these numbers; none computes them again. Totals are in the
    assignment's points (the exercises' course points scaled to it), `exercises` in course points.
    """

    raw: float
    withheld: float
    by_hand: float
    adjusted: float
    penalty: float
    final: float
    max: float
    exercises: dict[str, ExerciseGrade] = field(default_factory=dict)
    assignment: str = ""
    due: str = ""                      # ISO, "" without an assignment
    extension: bool = False
    submitted_at: str = ""             # ISO UTC, "" when the collection system gave no time
    time_source: str = ""
    hours_late: float = 0.0
    penalty_share: float = 0.0
    lateness: str = ""                 # one line: "on time", "26.5 h late: -20 %", "time unknown: no penalty applied"
    attention: list[str] = field(default_factory=list)   # why a person should look at this grade

    def to_json(self) -> dict[str, Any]:
        return _write(self, {"exercises": lambda exercises: {k: e.to_json() for k, e in exercises.items()}})

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str = "grade") -> FinalGrade:
        return _read(cls, data, where, {"exercises": _read_grades})


def _read_grades(data: Any, where: str) -> dict[str, ExerciseGrade]:
    if not isinstance(data, Mapping):
        raise ResultFormatError(f"{where}: expected a JSON object, got {type(data).__name__}")
    return {ex_id: ExerciseGrade.from_json(e, f"{where}.{ex_id}") for ex_id, e in data.items()}


@dataclass
class StudentResult:
    """One student: one row of the gradebook, and what every report is made from.

    `handin` and `grade` are not graded but joined for the reports: who handed in and when (kept
    in the gradebook's own table) and the final grade (grader.grading.final); `seconds` is how
    long the judge took this time. The gradebook's graded rows keep none of them: None there.
    """

    student: str
    kind: str = ""                     # folder | zip | nbgrader
    source: str = ""                   # the folder or zip's name
    problem: str = ""                  # why the whole submission could not be used
    exercises: dict[str, ExerciseResult] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)   # python, torch, device, gpu, sandbox
    seconds: float | None = None
    handin: HandIn | None = None
    grade: FinalGrade | None = None

    def totals(self, exercise_ids: Iterable[str] | None = None) -> tuple[float, float]:
        """(points, maximum) over `exercise_ids` (default: every exercise held); one not held counts 0 of 0."""
        ids = self.exercises if exercise_ids is None else exercise_ids
        entries = [self.exercises[e] for e in ids if e in self.exercises]
        return round(sum(float(e.score) for e in entries), 4), round(sum(float(e.max) for e in entries), 4)

    def to_json(self) -> dict[str, Any]:
        return _write(self, {"exercises": lambda exercises: {k: e.to_json() for k, e in exercises.items()},
                             "handin": HandIn.to_json, "grade": FinalGrade.to_json})

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str = "student") -> StudentResult:
        """As CheckResult.from_json: unknown keys ignored, a missing `student` an error."""
        return _read(cls, data, where, {"exercises": _read_exercises, "handin": HandIn.from_json,
                                        "grade": FinalGrade.from_json})


def points_text(x: float) -> str:
    """Check points as `check()` and the pytest plugin print them: 3, 2.50."""
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


__all__ = ["CheckStatus", "STATUSES", "status_mark", "status_style", "status_word", "CheckResult",
           "ExerciseResult", "HandIn", "ExerciseGrade", "FinalGrade", "StudentResult", "ResultFormatError", "points_text"]
