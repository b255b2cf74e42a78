"""What a course is: its chapters, exercises, grading settings and assignments as typed objects;
where to find it (`find_course_root`, `course_roots`); which exercises a command works on
(`Course.select`); reading course.toml (`load_course`, checked by grader.course_schema, which
has one clear line for every mistake in the file) and writing part of it (`course_toml_for`).
"""

from __future__ import annotations

import datetime
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from grader.errors import GraderError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

COURSE_FILE = "course.toml"
COURSE_ENV = "TORCHGRADE_COURSE"   # where check() and nbgrader's cells look for the course first


class CourseError(GraderError):
    """A problem with course.toml, said in one line that names the key."""


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str


@dataclass(frozen=True)
class Exercise:
    id: str
    chapter: str
    name: str
    title: str
    file: str
    symbols: tuple[str, ...]
    points: float
    forbid: dict[str, tuple[str, ...]]
    root: Path = field(compare=False, repr=False)
    review_allow: tuple[str, ...] = ()   # rows of the review's allowlist switched on (review.OPTIONAL)

    @property
    def stub_path(self) -> Path:
        return self.root / "exercises" / self.file

    @property
    def solution_path(self) -> Path:
        return self.root / "solutions" / self.file

    @property
    def visible_tests_path(self) -> Path:
        return self.root / "exercises" / self.chapter / f"test_{self.name}.py"

    @property
    def hidden_checks_path(self) -> Path:
        return self.root / "solutions" / self.chapter / f"test_{self.name}_hidden.py"

    @property
    def variants_dir(self) -> Path:
        return self.root / "solutions" / self.chapter / "variants" / self.name

    @property
    def notebook_path(self) -> Path:
        return self.stub_path.with_suffix(".ipynb")

    def forbidden_for(self, symbol: str) -> tuple[str, ...]:
        return self.forbid.get(symbol, ())


@dataclass(frozen=True)
class Grading:
    check_timeout: float = 60.0
    submission_timeout: float = 600.0
    memory_limit_mb: int = 4096
    max_processes: int = 256
    output_limit_kb: int = 64
    jobs: int = 0
    gpu_policy: str = "skip"
    hidden_visibility: str = "after_due_date"
    findings: str = "withhold"          # the judge's review: withhold the exercise's points | flag only


@dataclass(frozen=True)
class Notebook:
    install_url: str = ""
    colab_url: str = ""


@dataclass(frozen=True)
class Report:
    """The class report (grader report): what counts as suspiciously alike."""
    similarity_threshold: float = 0.6   # fingerprint overlap (Jaccard, 0..1) that lists a pair


@dataclass(frozen=True)
class LatePolicy:
    """What a late hand-in costs, as a share (0..1) of the raw score: a penalty per started day
    or hour late up to `max_penalty`, and zero points after `cutoff` (hours after the due time)."""
    per_day: float = 0.0
    per_hour: float = 0.0
    max_penalty: float = 1.0
    cutoff: float | None = None


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    exercises: tuple[str, ...]
    points: float                      # what the assignment is worth; scores are scaled to it
    due: "datetime.datetime"
    late_policy: LatePolicy
    extensions: dict[str, "datetime.datetime"]   # student id (NFC) -> their own due time


@dataclass(frozen=True)
class Course:
    root: Path
    title: str
    version: str
    chapters: dict[str, Chapter]
    exercises: dict[str, Exercise]
    grading: Grading
    notebook: Notebook
    report: Report = Report()
    assignments: dict[str, Assignment] = field(default_factory=dict)

    def exercise(self, exercise_id: str) -> Exercise:
        try:
            return self.exercises[exercise_id]
        except KeyError:
            known = ", ".join(self.exercises) or "none"
            raise CourseError(f"unknown exercise {exercise_id!r} (course.toml has: {known})") from None

    def select(self, ids: Iterable[str] = (), assignment: str | None = None) -> list[str]:
        """The exercises a command works on (grade --only/--assignment, gradescope package and
        nbgrader export --exercise/--assignment): an [assignments.<id>]'s, else a chapter's when
        `assignment` is a chapter id, else every exercise; narrowed to `ids` when given. In
        course order (an assignment's own order). A CourseError for an id the course lacks or a
        selection left empty."""
        ids = tuple(ids)
        if assignment is not None and assignment not in self.assignments and assignment not in self.chapters:
            raise CourseError(f"--assignment {assignment!r} is neither an assignment of course.toml "
                              f"(assignments: {', '.join(self.assignments) or 'none'}) nor a chapter "
                              f"(chapters: {', '.join(self.chapters)})")
        for ex_id in ids:
            self.exercise(ex_id)
        if assignment in self.assignments:
            selected = list(self.assignments[assignment].exercises)
        else:
            selected = [e for e, ex in self.exercises.items() if assignment is None or ex.chapter == assignment]
        if ids:
            selected = [e for e in selected if e in ids]
        if assignment is not None and not selected:
            raise CourseError(f"no exercise of {assignment!r} is selected")
        return selected

    def exercise_for_path(self, path: Path) -> Exercise | None:
        """The exercise a stub, solution or test file belongs to, found by its location."""
        path = Path(path).resolve()
        for ex in self.exercises.values():
            if path in (ex.stub_path.resolve(), ex.solution_path.resolve(),
                        ex.visible_tests_path.resolve(), ex.hidden_checks_path.resolve()):
                return ex
        return None


def find_course_root(start: Path | None = None) -> Path:
    """The nearest directory at or above `start` (default: cwd) that holds course.toml."""
    here = Path(start or Path.cwd()).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / COURSE_FILE).is_file():
            return folder
    raise CourseError(f"no {COURSE_FILE} found in {here} or any folder above it; "
                      "run the command from inside the course repository")


PACKAGED_COURSE = "course_data"  # inside the grader package of a wheel: course.toml + visible tests


def course_roots(given: str | Path | None = None) -> list[Path]:
    """Where the course may be, best first, for code that runs wherever a notebook's kernel was
    started (`check()`, nbgrader's test cells): `given`, then ${COURSE_ENV}, then the course
    around the current folder, then the one that came with the installed package."""
    roots = [Path(given)] if given is not None else []
    if os.environ.get(COURSE_ENV):
        roots.append(Path(os.environ[COURSE_ENV]))
    try:
        roots.append(find_course_root(Path.cwd()))
    except CourseError:
        pass
    installed = installed_course_root()
    if installed is not None:
        roots.append(installed)
    return roots


def context_course(ctx: Any) -> Course:
    """The course of a `grader` command: the group's --course, else found from the current folder
    (`ctx` is the command's click context; its root holds what the group parsed)."""
    return load_course((ctx.find_root().obj or {}).get("course_root"))


def installed_course_root() -> Path | None:
    """The course that came with the installed `grader` package, or None: the copy a wheel
    carries (setup.py puts course.toml and the visible tests in grader/course_data at build
    time; that is all a Colab runtime has), or the repository around an editable install."""
    package = Path(__file__).resolve().parent
    for root in (package / PACKAGED_COURSE, package.parent):
        if (root / COURSE_FILE).is_file():
            return root
    return None


def load_course(root: Path | None = None) -> Course:
    """Read and validate course.toml; every problem is a CourseError naming the key."""
    root = find_course_root(root) if root is None or not (Path(root) / COURSE_FILE).is_file() \
        else Path(root).resolve()
    path = root / COURSE_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise CourseError(f"{path}: not UTF-8 text") from None
    # the schema builds this module's classes, so it is imported here, not at the top
    from grader.course_schema import parse
    return parse(root, data)


def course_toml_for(course: Course, exercise_ids: list[str]) -> str:
    """course.toml as it is, with only the given exercises: what a package that carries some of
    the course's reference solutions ships, so that it loads."""
    import tomli_w

    data = tomllib.loads((course.root / COURSE_FILE).read_text(encoding="utf-8"))
    keep = set(exercise_ids)
    data["exercises"] = {cid: {name: spec for name, spec in group.items() if f"{cid}.{name}" in keep}
                         for cid, group in data.get("exercises", {}).items()}
    data["exercises"] = {cid: group for cid, group in data["exercises"].items() if group}
    kept_chapters = set(data["exercises"])
    # an assignment that names an exercise the package lacks would not load
    data["assignments"] = {aid: spec for aid, spec in data.get("assignments", {}).items()
                           if set(spec.get("exercises", [])) <= keep
                           and set(spec.get("chapters", [])) <= kept_chapters}
    if not data["assignments"]:
        del data["assignments"]
    return tomli_w.dumps(data)
