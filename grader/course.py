"""course.toml -> typed objects, with one clear line for every mistake in the file."""

from __future__ import annotations

import ast
import dataclasses
import datetime
import unicodedata
import difflib
import os
import re
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
GPU_POLICIES = ("skip", "award", "zero")
VISIBILITIES = ("hidden", "after_due_date", "visible", "after_published")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
TOP_KEYS = ("course", "grading", "notebook", "report", "chapters", "exercises", "assignments")
ASSIGNMENT_KEYS = ("title", "exercises", "chapters", "points", "due", "late_policy", "extensions")
LATE_KEYS = ("per_day", "per_hour", "max_penalty", "cutoff")
EXERCISE_KEYS = ("title", "file", "symbols", "points", "forbid")


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
    return _parse(root, data)


def _parse(root: Path, data: dict[str, Any]) -> Course:
    _known_keys(data, "", TOP_KEYS)
    course = _table(data, "course")
    _known_keys(course, "course", ("title", "version"))
    title = _str(course, "course.title")
    version = str(_get(course, "course.version", "0"))
    grading = _parse_grading(data.get("grading", {}))
    notebook = _parse_notebook(data.get("notebook", {}))
    report = _parse_report(data.get("report", {}))
    chapters = {}
    for cid, ch in _table(data, "chapters").items():
        key = f"chapters.{cid}"
        if not _ID.match(cid):
            raise CourseError(f"{key}: chapter ids are lower-case words like 'ch3', got {cid!r}")
        if not isinstance(ch, dict):
            raise CourseError(f"{key} must be a table with a title")
        _known_keys(ch, key, ("title",))
        chapters[cid] = Chapter(cid, _str(ch, f"{key}.title"))
    exercises = {}
    for cid, group in _table(data, "exercises").items():
        if cid not in chapters:
            raise CourseError(f"exercises.{cid}: no chapter {cid!r} in [chapters] "
                              f"(declared: {', '.join(chapters) or 'none'})")
        if not isinstance(group, dict):
            raise CourseError(f"exercises.{cid} must be a table of exercises")
        for name, spec in group.items():
            ex = _parse_exercise(root, cid, name, spec)
            exercises[ex.id] = ex
    if not exercises:
        raise CourseError("course.toml declares no exercises: add [exercises.<chapter>.<name>] tables")
    if (root / "solutions").is_dir():  # the instructor's course; a student release has no solutions
        for ex in exercises.values():
            _check_reference(ex)
    assignments = _parse_assignments(data.get("assignments", {}), chapters, exercises)
    return Course(root, title, version, chapters, exercises, grading, notebook, report, assignments)


def _parse_assignments(raw: Any, chapters: dict[str, Chapter],
                       exercises: dict[str, Exercise]) -> dict[str, Assignment]:
    if not isinstance(raw, dict):
        raise CourseError("assignments must be a table of [assignments.<id>] tables")
    out = {}
    for aid, spec in raw.items():
        key = f"assignments.{aid}"
        if not _ID.match(aid):
            raise CourseError(f"{key}: assignment ids are lower-case identifiers like 'hw1', got {aid!r}")
        if not isinstance(spec, dict):
            raise CourseError(f"{key} must be a table with title, exercises or chapters, and due")
        _known_keys(spec, key, ASSIGNMENT_KEYS)
        title = spec.get("title", aid)
        if not isinstance(title, str):
            raise CourseError(f"{key}.title must be a string, got {title!r}")
        ids: list[str] = []
        for name in ("exercises", "chapters"):
            v = spec.get(name, [])
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise CourseError(f"{key}.{name} must be a list of {name[:-1]} ids, got {v!r}")
            for x in v:
                known = exercises if name == "exercises" else chapters
                if x not in known:
                    near = difflib.get_close_matches(x, list(known), n=1, cutoff=0.6)
                    hint = f" (did you mean {near[0]!r}?)" if near else ""
                    raise CourseError(f"{key}.{name}: no {name[:-1]} {x!r} in course.toml{hint}")
                ids += [x] if name == "exercises" else [e for e, ex in exercises.items() if ex.chapter == x]
        ids = [e for e in exercises if e in set(ids)]      # course order, each once
        if not ids:
            raise CourseError(f"{key}: give the exercises (ids) or chapters it holds")
        points = spec.get("points", sum(exercises[e].points for e in ids))
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
            raise CourseError(f"{key}.points must be a positive number, got {points!r}")
        due = _datetime(_get(spec, f"{key}.due"), f"{key}.due")
        policy = _parse_late_policy(spec.get("late_policy", {}), f"{key}.late_policy")
        ext_raw = spec.get("extensions", {})
        if not isinstance(ext_raw, dict):
            raise CourseError(f"{key}.extensions must be a table student id -> due date-time, got {ext_raw!r}")
        extensions = {unicodedata.normalize("NFC", sid): _datetime(v, f"{key}.extensions.{sid}")
                      for sid, v in ext_raw.items()}
        out[aid] = Assignment(aid, title, tuple(ids), float(points), due, policy, extensions)
    return out


def _datetime(v: Any, key: str) -> datetime.datetime:
    """A TOML offset date-time (or an ISO string with a zone): a deadline without a time zone means
    a different moment on every grader's machine, so it is refused."""
    if isinstance(v, str):
        try:
            v = datetime.datetime.fromisoformat(v)
        except ValueError:
            raise CourseError(f"{key} must be a date-time like 2026-10-01T23:59:00+02:00, got {v!r}") from None
    if not isinstance(v, datetime.datetime):
        raise CourseError(f"{key} must be a date-time like 2026-10-01T23:59:00+02:00, got {v!r}")
    if v.tzinfo is None:
        raise CourseError(f"{key} needs a time zone, e.g. {v.isoformat()}+00:00 or {v.isoformat()}Z")
    return v


def _parse_late_policy(raw: Any, key: str) -> LatePolicy:
    if not isinstance(raw, dict):
        raise CourseError(f"{key} must be a table ({', '.join(LATE_KEYS)})")
    _known_keys(raw, key, LATE_KEYS)
    values: dict[str, Any] = {}
    for name in ("per_day", "per_hour", "max_penalty"):
        if name in raw:
            v = raw[name]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
                raise CourseError(f"{key}.{name} must be a share of the score in [0, 1] "
                                  f"(0.1 = 10 %), got {v!r}")
            values[name] = float(v)
    if "cutoff" in raw:
        v = raw["cutoff"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise CourseError(f"{key}.cutoff must be a number of hours after the due time (>= 0), got {v!r}")
        values["cutoff"] = float(v)
    return LatePolicy(**values)


def _parse_exercise(root: Path, chapter: str, name: str, spec: Any) -> Exercise:
    key = f"exercises.{chapter}.{name}"
    if not isinstance(spec, dict):
        raise CourseError(f"{key} must be a table with file, symbols and points")
    _known_keys(spec, key, EXERCISE_KEYS)
    if not _ID.match(name):
        raise CourseError(f"{key}: exercise names are lower-case identifiers, got {name!r}")
    file = _str(spec, f"{key}.file")
    if not file.endswith(".py") or file.startswith("/") or ".." in Path(file).parts:
        raise CourseError(f"{key}.file must be a relative path to a .py file like "
                          f"'{chapter}/{name}.py', got {file!r}")
    symbols = _get(spec, f"{key}.symbols")
    if not isinstance(symbols, list) or not symbols or not all(
            isinstance(s, str) and s.isidentifier() for s in symbols):
        raise CourseError(f"{key}.symbols must be a non-empty list of Python names, got {symbols!r}")
    points = _get(spec, f"{key}.points")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
        raise CourseError(f"{key}.points must be a positive number, got {points!r}")
    forbid_raw = spec.get("forbid", {})
    if not isinstance(forbid_raw, dict):
        raise CourseError(f"{key}.forbid must be a table symbol -> list of names, got {forbid_raw!r}")
    forbid = {}
    for sym, names in forbid_raw.items():
        if sym not in symbols:
            raise CourseError(f"{key}.forbid.{sym}: {sym!r} is not one of the exercise's symbols")
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise CourseError(f"{key}.forbid.{sym} must be a list of function names, got {names!r}")
        forbid[sym] = tuple(names)
    title = spec.get("title", name)
    if not isinstance(title, str):
        raise CourseError(f"{key}.title must be a string, got {title!r}")
    return Exercise(f"{chapter}.{name}", chapter, name, title, file, tuple(symbols), float(points),
                    forbid, root)


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


def _check_reference(ex: Exercise) -> None:
    """The file an exercise names exists in solutions/ and defines every symbol it lists."""
    key = f"exercises.{ex.id}"
    rel = f"solutions/{ex.file}"
    if not ex.solution_path.is_file():
        raise CourseError(f"{key}.file: {rel} does not exist")
    try:
        tree = ast.parse(ex.solution_path.read_bytes(), filename=rel)
    except (SyntaxError, ValueError) as exc:
        raise CourseError(f"{key}.file: {rel} is not valid Python ({exc})") from None
    defined: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
    for symbol in ex.symbols:
        if symbol not in defined:
            near = difflib.get_close_matches(symbol, sorted(defined), n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise CourseError(f"{key}.symbols: {symbol!r} is not defined in {rel}{hint}")


def _parse_grading(raw: Any) -> Grading:
    if not isinstance(raw, dict):
        raise CourseError("grading must be a table")
    _known_keys(raw, "grading", tuple(f.name for f in dataclasses.fields(Grading)))
    defaults = Grading()
    values: dict[str, Any] = {}
    for name in ("check_timeout", "submission_timeout"):
        v = raw.get(name, getattr(defaults, name))
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
            raise CourseError(f"grading.{name} must be a positive number of seconds, got {v!r}")
        values[name] = float(v)
    for name in ("memory_limit_mb", "max_processes", "output_limit_kb"):
        v = raw.get(name, getattr(defaults, name))
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise CourseError(f"grading.{name} must be a positive whole number, got {v!r}")
        values[name] = v
    jobs = raw.get("jobs", 0)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 0:
        raise CourseError(f"grading.jobs must be 0 (one per core) or a positive whole number, got {jobs!r}")
    values["jobs"] = jobs
    policy = raw.get("gpu_policy", defaults.gpu_policy)
    if policy not in GPU_POLICIES:
        raise CourseError(f"grading.gpu_policy must be one of {', '.join(GPU_POLICIES)}, got {policy!r}")
    values["gpu_policy"] = policy
    vis = raw.get("hidden_visibility", defaults.hidden_visibility)
    if vis not in VISIBILITIES:
        raise CourseError(f"grading.hidden_visibility must be one of {', '.join(VISIBILITIES)}, got {vis!r}")
    values["hidden_visibility"] = vis
    return Grading(**values)


def _parse_notebook(raw: Any) -> Notebook:
    if not isinstance(raw, dict):
        raise CourseError("notebook must be a table")
    _known_keys(raw, "notebook", ("install_url", "colab_url"))
    values = {}
    for name in ("install_url", "colab_url"):
        v = raw.get(name, "")
        if not isinstance(v, str):
            raise CourseError(f"notebook.{name} must be a string, got {v!r}")
        values[name] = v
    return Notebook(**values)


def _parse_report(raw: Any) -> Report:
    if not isinstance(raw, dict):
        raise CourseError("report must be a table")
    _known_keys(raw, "report", tuple(f.name for f in dataclasses.fields(Report)))
    v = raw.get("similarity_threshold", Report.similarity_threshold)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
        raise CourseError(f"report.similarity_threshold must be a number in (0, 1], got {v!r}")
    return Report(similarity_threshold=float(v))


def _known_keys(table: dict, key: str, allowed: tuple[str, ...]) -> None:
    """A key the schema does not know is an error that names it and the nearest known key: a typo
    in course.toml must never switch a rule off in silence."""
    for name in table:
        if name not in allowed:
            near = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]!r}?)" if near else f" (known: {', '.join(allowed)})"
            raise CourseError(f"{key + '.' if key else ''}{name}: unknown key{hint}")


def _get(table: dict, key: str, default: Any = ...) -> Any:
    name = key.rsplit(".", 1)[-1]
    if name not in table:
        if default is ...:
            raise CourseError(f"{key} is missing")
        return default
    return table[name]


def _str(table: dict, key: str) -> str:
    v = _get(table, key)
    if not isinstance(v, str) or not v.strip():
        raise CourseError(f"{key} must be a non-empty string, got {v!r}")
    return v


def _table(data: dict, key: str) -> dict:
    v = data.get(key)
    if v is None:
        raise CourseError(f"[{key}] is missing")
    if not isinstance(v, dict):
        raise CourseError(f"{key} must be a table, got {type(v).__name__}")
    return v
