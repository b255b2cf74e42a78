"""course.toml's schema: every table and key it may hold, and one clear line naming the key for
every mistake (an unknown key with the nearest known one, a value of the wrong kind, a file or
symbol the reference solution lacks). `load_course` reads the file and calls `parse`.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime
import difflib
import re
import unicodedata
from pathlib import Path
from typing import Any

from grader.course import (Assignment, Chapter, Course, CourseError, Exercise, Grading, LatePolicy, Notebook,
                           Report)

GPU_POLICIES = ("skip", "award", "zero")
VISIBILITIES = ("hidden", "after_due_date", "visible", "after_published")
FINDINGS_POLICIES = ("withhold", "flag")   # what a finding of the judge's review does to the points
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
TOP_KEYS = ("course", "grading", "notebook", "report", "chapters", "exercises", "assignments")
ASSIGNMENT_KEYS = ("title", "exercises", "chapters", "points", "due", "late_policy", "extensions")
LATE_KEYS = ("per_day", "per_hour", "max_penalty", "cutoff")
EXERCISE_KEYS = ("title", "file", "symbols", "points", "forbid", "review_allow")


def parse(root: Path, data: dict[str, Any]) -> Course:
    """The Course that course.toml's `data` describes, its files under `root` checked."""
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
    _unique_file_names(exercises)
    if (root / "solutions").is_dir():  # the instructor's course; a student release has no solutions
        for ex in exercises.values():
            _check_reference(ex)
    assignments = _parse_assignments(data.get("assignments", {}), chapters, exercises)
    return Course(root, title, version, chapters, exercises, grading, notebook, report, assignments)


def _unique_file_names(exercises: dict[str, Exercise]) -> None:
    """An LMS download keeps only a file's own name (Canvas, Moodle, Gradescope flatten folders),
    so the grader finds an exercise's file by its name: two exercises may not share one."""
    owner: dict[str, str] = {}
    for ex in exercises.values():
        name = Path(ex.file).name
        if name in owner:
            raise CourseError(f"exercises.{ex.chapter}.{ex.name}.file: {name} is also the file name of "
                              f"{owner[name]}; give every exercise a file name of its own (hand-ins from an LMS "
                              "are matched by it)")
        owner[name] = ex.id


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
                    forbid, root, _review_allow(spec.get("review_allow", []), f"{key}.review_allow"))


def _review_allow(raw: Any, key: str) -> tuple[str, ...]:
    """The rows of the review's allowlist an exercise switches on (grader.grading.review.OPTIONAL)."""
    from grader.grading.allowlist import OPTIONAL
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise CourseError(f"{key} must be a list of names from the review's optional rows "
                          f"({', '.join(OPTIONAL)}), got {raw!r}")
    for name in raw:
        if name not in OPTIONAL:
            near = difflib.get_close_matches(name, list(OPTIONAL), n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]!r}?)" if near else f" (known: {', '.join(OPTIONAL)})"
            raise CourseError(f"{key}: {name!r} is not an optional row of the review{hint}")
    return tuple(dict.fromkeys(raw))


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
    findings = raw.get("findings", defaults.findings)
    if findings not in FINDINGS_POLICIES:
        raise CourseError(f"grading.findings must be one of {', '.join(FINDINGS_POLICIES)}, got {findings!r}")
    values["findings"] = findings
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
