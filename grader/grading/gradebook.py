"""The gradebook: one SQLite row per student, committed the moment the student is graded.

WAL journal + synchronous=FULL: a row that was committed survives Ctrl-C, kill -9 and power
loss; a row being written when that happens is simply absent, so the next run grades that
student again. Only the parent process writes (judges send their results back to it).

Each exercise entry carries a `key`: a digest of everything its result depends on (the
student's file, the checks, the reference solution, the exercise's settings, device and
limits). A run grades an exercise again only when its key changed or the row is missing, which
is what makes "run the same command again" resume exactly where it stopped.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator

from grader.course import Exercise
from grader.errors import GraderError
from grader.grading.submissions import ExerciseFiles
from grader.results import HandIn, ResultFormatError, StudentResult

SCHEMA_VERSION = "1"
GRADEBOOK_FILE = "gradebook.sqlite"   # in the --out folder


class GradebookError(GraderError):
    pass


class Gradebook:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fh = open(self.path.with_name(self.path.name + ".lock"), "a+")
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_fh.close()
            raise GradebookError(f"{self.path} is in use by another `grader grade` run; "
                                 "wait for it to finish or use another --out folder") from None
        try:
            self.db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self.db.execute("CREATE TABLE IF NOT EXISTS students (student TEXT PRIMARY KEY, "
                            "result TEXT NOT NULL, graded_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)")
            self.db.execute("CREATE TABLE IF NOT EXISTS overrides (student TEXT NOT NULL, exercise TEXT NOT NULL, "
                            "points REAL NOT NULL, reason TEXT NOT NULL, by TEXT NOT NULL, at TEXT NOT NULL, "
                            "PRIMARY KEY (student, exercise))")
            self.db.execute(f"CREATE TABLE IF NOT EXISTS reviews ({_DECISION_COLUMNS})")
            self.db.execute("CREATE TABLE IF NOT EXISTS handins (student TEXT PRIMARY KEY, handin TEXT NOT NULL)")
            version = self.get_meta("schema")
            if version is None:
                self.set_meta("schema", SCHEMA_VERSION)
            elif version != SCHEMA_VERSION:
                raise GradebookError(f"{self.path} was written by another version of the grader "
                                     f"(schema {version}); use a new --out folder")
        except sqlite3.DatabaseError as exc:
            self.close()
            raise GradebookError(f"{self.path} is not a usable gradebook ({exc}); "
                                 "move it away or use a new --out folder") from None

    def close(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            db.close()
            self.db = None  # type: ignore[assignment]
        if not self._lock_fh.closed:
            self._lock_fh.close()

    def __enter__(self) -> "Gradebook":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- meta
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- rows
    def get(self, student: str) -> StudentResult | None:
        row = self.db.execute("SELECT result FROM students WHERE student = ?", (student,)).fetchone()
        return _row(self.path, student, row[0]) if row else None

    def rows(self) -> dict[str, StudentResult]:
        return {s: _row(self.path, s, r)
                for s, r in self.db.execute("SELECT student, result FROM students ORDER BY student")}

    def put(self, result: StudentResult) -> None:
        """Replace the row of `result.student`, atomically (one transaction, durable on return)."""
        data = json.dumps(result.to_json(), sort_keys=True, allow_nan=False, default=str)
        with _transaction(self.db):
            self.db.execute("INSERT OR REPLACE INTO students (student, result, graded_at) "
                            "VALUES (?, ?, CURRENT_TIMESTAMP)", (result.student, data))

    # -- manual overrides: kept apart from the rows, so re-grading never drops one
    def set_override(self, student: str, exercise: str, points: float, reason: str, by: str) -> None:
        import datetime as _dt
        at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        with _transaction(self.db):
            self.db.execute("INSERT OR REPLACE INTO overrides VALUES (?, ?, ?, ?, ?, ?)",
                            (student, exercise, float(points), reason, by, at))

    def overrides(self) -> dict[str, dict[str, dict]]:
        return _overrides(self.db)

    # -- review decisions: accept or reject an exercise the judge's review held; kept like overrides
    def set_review(self, student: str, exercise: str, decision: str, reason: str, by: str) -> None:
        import datetime as _dt
        at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        with _transaction(self.db):
            self.db.execute("INSERT OR REPLACE INTO reviews VALUES (?, ?, ?, ?, ?, ?)",
                            (student, exercise, decision, reason, by, at))

    def reviews(self) -> dict[str, dict[str, dict]]:
        return _reviews(self.db)

    # -- hand-ins: who and when, as the collection system said at the latest run
    def put_handins(self, handins: dict[str, HandIn]) -> None:
        with _transaction(self.db):
            for student, handin in handins.items():
                self.db.execute("INSERT OR REPLACE INTO handins VALUES (?, ?)",
                                (student, json.dumps(handin.to_json(), sort_keys=True, default=str)))

    def handins(self) -> dict[str, HandIn]:
        return _handins(self.path, self.db)

    def drop_students(self, students: list[str]) -> None:
        """Forget these students' graded rows and hand-ins (`grade --replace`); decisions people
        made (overrides, reviews) stay, keyed by student id, for a class that comes back."""
        with _transaction(self.db):
            for student in students:
                self.db.execute("DELETE FROM students WHERE student = ?", (student,))
                self.db.execute("DELETE FROM handins WHERE student = ?", (student,))

    def students(self) -> Iterator[str]:
        for (s,) in self.db.execute("SELECT student FROM students ORDER BY student"):
            yield s


def read_gradebook(path: Path) -> tuple[dict[str, StudentResult], dict[str, str]]:
    """Every row and the meta table of a gradebook, read-only and without its lock, so a report
    can be made while nothing is graded or beside a run. GradebookError when it is not one."""
    path = Path(path)
    if not path.is_file():
        raise GradebookError(f"no gradebook at {path}: run `grader grade SUBMISSIONS --out {path.parent}` first")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            meta = dict(db.execute("SELECT key, value FROM meta"))
            version = meta.get("schema")
            if version != SCHEMA_VERSION:
                raise GradebookError(f"{path} was written by another version of the grader (schema "
                                     f"{version or 'unknown'}, this grader reads {SCHEMA_VERSION}); "
                                     "grade again into a new --out folder")
            rows = {student: _row(path, student, text)
                    for student, text in db.execute("SELECT student, result FROM students ORDER BY student")}
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise GradebookError(f"{path} is not a usable gradebook ({exc})") from None
    return rows, meta


def _row(path: Path, student: str, text: str) -> StudentResult:
    """One stored row as a StudentResult; GradebookError naming the student when it is not one."""
    try:
        data = json.loads(text)
    except ValueError:
        raise GradebookError(f"{path}: the row of {student!r} is not JSON; grade again into "
                             "a new --out folder") from None
    if isinstance(data, dict):
        data.setdefault("student", student)
    try:
        return StudentResult.from_json(data, student)
    except ResultFormatError as exc:
        raise GradebookError(f"{path}: the row of {student!r} is not a gradebook row ({exc})") from None


@dataclass
class Decisions:
    """What people decided about a gradebook's grades: points set by hand and review decisions
    (student -> exercise -> {...}), and each student's hand-in as intake last saw it."""

    overrides: dict[str, dict[str, dict]] = field(default_factory=dict)
    reviews: dict[str, dict[str, dict]] = field(default_factory=dict)
    handins: dict[str, HandIn] = field(default_factory=dict)


def read_decisions(path: Path) -> Decisions:
    """Overrides, review decisions and hand-ins of a gradebook, read-only (see read_gradebook)."""
    path = Path(path)
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            return Decisions(_overrides(db), _reviews(db), _handins(path, db))
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise GradebookError(f"{path} is not a usable gradebook ({exc})") from None


def _decided(db: sqlite3.Connection, table: str, value: str) -> dict[str, dict[str, dict]]:
    """student -> exercise -> {<value>, reason, by, at} of one decision table (overrides: points;
    reviews: decision accept|reject); {} for a gradebook older than the table."""
    out: dict[str, dict[str, dict]] = {}
    try:
        found = db.execute(f"SELECT student, exercise, {value}, reason, by, at FROM {table}").fetchall()
    except sqlite3.OperationalError:
        return out
    for student, exercise, decided, reason, by, at in found:
        out.setdefault(student, {})[exercise] = {value: decided, "reason": reason, "by": by, "at": at}
    return out


def _overrides(db: sqlite3.Connection) -> dict[str, dict[str, dict]]:
    return _decided(db, "overrides", "points")


def _reviews(db: sqlite3.Connection) -> dict[str, dict[str, dict]]:
    return _decided(db, "reviews", "decision")


_DECISION_COLUMNS = ("student TEXT NOT NULL, exercise TEXT NOT NULL, decision TEXT NOT NULL, reason TEXT NOT NULL, "
                     "by TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (student, exercise)")


def _handins(path: Path, db: sqlite3.Connection) -> dict[str, HandIn]:
    out: dict[str, HandIn] = {}
    try:
        found = db.execute("SELECT student, handin FROM handins ORDER BY student").fetchall()
    except sqlite3.OperationalError:
        return out
    for student, text in found:
        try:
            out[student] = HandIn.from_json(json.loads(text), student)
        except (ValueError, ResultFormatError):
            # one unreadable hand-in is that student's unknown time, never the class's stop
            out[student] = HandIn(problems=[f"the gradebook's hand-in record of {student!r} is unreadable"])
    return out


class _transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def checks_digest(ex: Exercise) -> str:
    """What the checks of an exercise are: its spec in course.toml, the files that judge it and
    the rules of the judge's review."""
    from grader.grading.review import rules_digest
    h = hashlib.sha256(json.dumps([ex.id, ex.file, list(ex.symbols), ex.points,
                                   {k: list(v) for k, v in sorted(ex.forbid.items())},
                                   list(ex.review_allow), rules_digest()]).encode())
    for path in (ex.visible_tests_path, ex.hidden_checks_path, ex.solution_path):
        h.update(b"\0" + path.name.encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"(absent)")
    return h.hexdigest()


def exercise_key(checks: str, files: ExerciseFiles, settings: dict) -> str:
    h = hashlib.sha256()
    for part in (checks, files.digest, json.dumps(settings, sort_keys=True)):
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:32]


MAX_KEPT_CODE = 256 * 1024


def kept_code(files: ExerciseFiles) -> str:
    """The student's module text as the gradebook keeps it (for the class report's similarity
    section, which must work from the gradebook alone); '' when nothing usable was handed in."""
    if files.status != "ok" or files.module_file not in files.files:
        return ""
    return files.files[files.module_file][:MAX_KEPT_CODE].decode("utf-8", errors="replace")


def merge(old: StudentResult | None, new: StudentResult) -> StudentResult:
    """A student's row after (re)grading some exercises: new entries replace old ones, the
    entries of exercises not graded this time are kept."""
    exercises = dict(old.exercises if old is not None else {})
    exercises.update(new.exercises)
    return replace(new, exercises={k: exercises[k] for k in sorted(exercises)})
