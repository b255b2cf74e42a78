"""Finding students and their files in a folder of submissions.

Accepted forms, per student:

* a folder: ``SUBMISSIONS/<student>/ch4/dropout.py`` (or ``.../exercises/ch4/dropout.py``);
* a zip: ``SUBMISSIONS/<student>.zip`` with the same layout inside (optionally wrapped in one
  top-level folder, as "compress this folder" makes it);
* notebooks in place of ``.py`` files: ``ch4/dropout.ipynb``;
* nbgrader's layout: ``COURSE_DIR/submitted/<student>/<chN>/<name>.ipynb``.

Nothing here runs student code. Every problem becomes a message attached to the student (when
the whole submission is unusable) or to one exercise; the others are graded as usual. Turning
one file into the module a worker imports (decoding, parsing, a notebook's cells) is
grader.grading.sources.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable

from grader.course import Course, Exercise
from grader.grading.sources import SubmissionError, decode_source, notebook_to_module, parse_source
from grader.results import HandIn
# Limits on what we read from a submission. Source files are small; notebooks may carry plots.
# They live with `grader pack`, which refuses the same sizes before the hand-in.
from grader.pack import MAX_NOTEBOOK_BYTES, MAX_SOURCE_BYTES

MAX_ZIP_BYTES = 64 * 1024 * 1024          # the .zip file itself
MAX_ZIP_TOTAL = 128 * 1024 * 1024         # declared uncompressed size of all members
MAX_ZIP_MEMBERS = 2000
MAX_ZIP_RATIO = 100                       # uncompressed/compressed, for members over 1 MiB
MAX_DEPTH = 32                            # folder levels below a student's folder (or in a zip)
MAX_FOLDER_ENTRIES = 5000                 # files and folders walked in one student's folder
MAX_FOLDER_BYTES = 512 * 1024 * 1024      # total size of the files in one student's folder
_RATIO_FLOOR = 1024 * 1024
IGNORED_NAMES = {"__MACOSX", ".DS_Store", "__pycache__", ".ipynb_checkpoints", ".git"}

@dataclass
class ExerciseFiles:
    """What one student handed in for one exercise, ready for a worker (or why not)."""

    exercise: str
    status: str = "ok"               # ok | missing | error
    message: str = ""                # for the student, when status is not ok
    source: str = ""                 # where it came from, relative to the submission
    files: dict[str, bytes] = field(default_factory=dict)
    module_file: str = ""
    notes: list[str] = field(default_factory=list)   # e.g. "notebook: dropped 3 top-level statements"

    @property
    def digest(self) -> str:
        h = hashlib.sha256(self.status.encode() + b"\0" + self.message.encode())
        for name in sorted(self.files):
            h.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        return h.hexdigest()


@dataclass
class Submission:
    student: str
    kind: str                        # folder | zip | nbgrader
    path: Path
    problem: str = ""                # the submission as a whole is unusable
    exercises: dict[str, ExerciseFiles] = field(default_factory=dict)
    handin: HandIn = field(default_factory=HandIn)   # who and when, from the collection system


# ---------------------------------------------------------------------------- student ids

_UNSAFE = re.compile(r"[^\w.-]+")      # \w is Unicode: "José María" keeps its letters


def sanitize_id(name: str) -> str:
    """A student id safe as a file name (feedback/<id>.md) and a CSV cell: letters of any script
    kept (NFC, so a name typed on macOS and on Windows is one id), the rest replaced."""
    clean = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip("._-")
    return clean[:100] or "student"


def _unique_ids(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    ids = []
    for name in names:
        base = sanitize_id(name)
        sid, n = base, 2
        while sid in seen:   # same spelling (bob/ and bob.zip); a case-only clash is an error instead
            sid, n = f"{base}-{n}", n + 1
        seen.add(sid)
        ids.append(sid)
    return ids


def _case_clashes(entries: list[tuple[str, Path, str]]) -> dict[str, str]:
    """Entry name -> the problem, for names that differ from another only by letter case
    (`A00_BASE` beside `a00_base`): which one is the real student is not ours to guess, and on a
    case-insensitive disk their feedback files would be one file."""
    groups: dict[str, list[str]] = {}
    for name, _, _ in entries:
        groups.setdefault(sanitize_id(name).lower(), []).append(name)
    problems = {}
    for names in groups.values():
        spelled = sorted({sanitize_id(n) for n in names})
        if len(spelled) > 1:
            for name in names:
                others = ", ".join(repr(n) for n in sorted(set(names)) if n != name)
                problems[name] = (f"the submissions {name!r} and {others} have names that differ only "
                                  "by upper/lower case; rename one of them and grade again")
    return problems


# ---------------------------------------------------------------------------- discovery

def discover(course: Course, root: Path, exercises: list[Exercise], *,
             exclude: Iterable[Path] = (), nbgrader_assignment: str | None = None) -> list[Submission]:
    """Every student under `root`, sorted by id, each with its files for `exercises`.

    `root` is a folder of student folders and zips, or an nbgrader course folder (one holding
    `submitted/`), or nbgrader's `submitted/` folder itself.
    """
    root = Path(root)
    if not root.is_dir():
        raise SubmissionError(f"{root}: no such folder")
    excluded = {Path(p).resolve() for p in exclude}
    nbgrader = nbgrader_assignment is not None
    if (root / "submitted").is_dir() and not _looks_like_student(root / "submitted"):
        root, nbgrader = root / "submitted", True
    entries = []
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name in IGNORED_NAMES or entry.name.startswith(".") or entry.resolve() in excluded:
            continue
        if entry.is_symlink():
            entries.append((entry.name, entry, "link"))
        elif entry.is_dir():
            entries.append((entry.name, entry, "nbgrader" if nbgrader else "folder"))
        elif entry.is_file() and entry.suffix.lower() == ".zip":
            entries.append((entry.stem, entry, "zip"))
    ids = _unique_ids(name for name, _, _ in entries)
    clashes = _case_clashes(entries)
    subs = []
    for sid, (name, path, kind) in zip(ids, entries):
        sub = Submission(sid, "folder" if kind == "link" else kind, path)
        skipped: list[str] = []
        try:
            if name in clashes:
                raise SubmissionError(clashes[name])
            if kind == "link":
                raise SubmissionError(f"{path.name} is a symbolic link; hand in a real folder or zip")
            tree = _read_zip(path) if kind == "zip" else _read_folder(path)
            if not tree:
                raise SubmissionError(f"{path.name} is empty: no files to grade")
            tree, skipped = _drop_control_names(tree)
            tree = _strip_prefixes(tree, course)
        except SubmissionError as exc:
            sub.problem = str(exc)
            tree = {}
        except (RecursionError, MemoryError, OSError) as exc:  # never one student for the whole class
            sub.problem = f"{path.name} could not be read ({type(exc).__name__})"
            tree = {}
        for ex in exercises:
            sub.exercises[ex.id] = (ExerciseFiles(ex.id, "error", sub.problem) if sub.problem
                                    else exercise_files(tree, ex, nbgrader_assignment))
            if skipped and not sub.problem:
                sub.exercises[ex.id].notes.append(
                    f"left out {len(skipped)} file(s) whose names contain control characters "
                    f"(e.g. {skipped[0]}); rename them")
        subs.append(sub)
    return subs


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def has_control_characters(name: str) -> bool:
    """Newlines, escapes, NUL, and the invisible/bidirectional marks that make a name read as
    something it is not."""
    return _CONTROL.search(name) is not None


def _drop_control_names(tree: dict) -> tuple[dict, list[str]]:
    """Refuse files whose names hold control characters: a name with a newline and Markdown in it
    could otherwise forge lines of feedback. They are left out and named only in escaped form."""
    kept, skipped = {}, []
    for rel, item in tree.items():
        if has_control_characters(rel):
            skipped.append(ascii(rel))
        else:
            kept[rel] = item
    return kept, skipped


def _looks_like_student(path: Path) -> bool:
    """`submitted` could itself be a student's name; it is nbgrader's folder when it holds folders only."""
    try:
        return any(p.is_file() for p in path.iterdir() if not p.name.startswith("."))
    except OSError:
        return True


class _Lazy:
    """A file not read yet (folders): read only when an exercise needs it, with a size cap."""

    def __init__(self, path: Path) -> None:
        self.path = path


def _read_folder(folder: Path) -> dict[str, bytes | _Lazy | str]:
    """Relative path -> lazy file, or an error string for what must not be followed (links).

    Walked without recursion and within limits (depth, entries, total size): a folder chain a
    thousand levels deep or a million empty files is this student's error, not a crash."""
    tree: dict[str, bytes | _Lazy | str] = {}
    entries, total = 0, 0
    stack: list[tuple[str, int]] = [("", 0)]
    while stack:
        rel_dir, depth = stack.pop()
        try:
            with os.scandir(folder / rel_dir if rel_dir else folder) as it:
                listing = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            raise SubmissionError(f"{folder.name}/{rel_dir} could not be read ({exc.strerror})") from None
        subdirs = []
        for entry in listing:
            if entry.name in IGNORED_NAMES:
                continue
            entries += 1
            if entries > MAX_FOLDER_ENTRIES:
                raise SubmissionError(f"{folder.name} holds more than {MAX_FOLDER_ENTRIES} files and "
                                      "folders; hand in only your exercise files")
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.is_symlink():
                tree[rel] = "is a symbolic link; hand in the file itself"
            elif entry.is_dir(follow_symlinks=False):
                if depth + 1 >= MAX_DEPTH:
                    raise SubmissionError(f"{folder.name} has folders nested more than {MAX_DEPTH} "
                                          "levels deep; hand in only your exercise files")
                subdirs.append(rel)
            elif entry.is_file(follow_symlinks=False):
                total += entry.stat(follow_symlinks=False).st_size
                if total > MAX_FOLDER_BYTES:
                    raise SubmissionError(f"{folder.name} holds more than {MAX_FOLDER_BYTES // 2**20} MiB "
                                          "of files; hand in only your exercise files")
                tree[rel] = _Lazy(folder / rel)
        if len(tree) > MAX_ZIP_MEMBERS:
            raise SubmissionError(f"{folder.name} holds more than {MAX_ZIP_MEMBERS} files")
        stack.extend((d, depth + 1) for d in reversed(subdirs))
    return tree


def _read_zip(path: Path) -> dict[str, bytes | _Lazy | str]:
    """Members of a zip, read into memory after checking every one; never extracted to disk."""
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_ZIP_BYTES:
            raise SubmissionError(f"{name} is {size // 2**20} MiB; the limit is {MAX_ZIP_BYTES // 2**20} MiB")
        data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise SubmissionError(f"{name} holds {len(infos)} files; the limit is {MAX_ZIP_MEMBERS}")
            total = 0
            for info in infos:
                _check_member(name, info)
                total += info.file_size
            if total > MAX_ZIP_TOTAL:
                raise SubmissionError(f"{name} unpacks to {total // 2**20} MiB (limit "
                                      f"{MAX_ZIP_TOTAL // 2**20} MiB): refused as a zip bomb")
            tree: dict[str, bytes | _Lazy | str] = {}
            for info in infos:
                if info.is_dir():
                    continue
                member = PurePosixPath(info.filename.replace("\\", "/"))
                if any(part in IGNORED_NAMES for part in member.parts) or member.name.startswith("._"):
                    continue
                with zf.open(info) as fh:
                    # The declared size can lie; read one byte more than it claims to catch that.
                    content = fh.read(info.file_size + 1)
                if len(content) != info.file_size:
                    raise SubmissionError(f"{name}: member {info.filename} is not the size it declares")
                tree[member.as_posix()] = content
            return tree
    except SubmissionError:
        raise
    except zipfile.BadZipFile as exc:
        raise SubmissionError(f"{name} is not a valid zip file ({exc})") from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, ValueError, OSError) as exc:
        # RuntimeError: encrypted member; NotImplementedError: unsupported compression.
        raise SubmissionError(f"{name} could not be read: {exc}") from None


def _check_member(zip_name: str, info: zipfile.ZipInfo) -> None:
    raw = info.filename
    member = raw.replace("\\", "/")
    parts = PurePosixPath(member).parts
    if member.startswith("/") or re.match(r"^[A-Za-z]:", member) or ".." in parts or "\0" in member:
        raise SubmissionError(f"{zip_name} contains an unsafe path {raw!r} (absolute or with '..'): "
                              "refused; zip the exercise folder itself")
    if len(parts) > MAX_DEPTH:
        raise SubmissionError(f"{zip_name} has folders nested more than {MAX_DEPTH} levels deep: refused")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise SubmissionError(f"{zip_name} contains a symbolic link {raw!r}: refused")
    if info.flag_bits & 0x1:
        raise SubmissionError(f"{zip_name} is encrypted ({raw!r}); hand in a zip without a password")
    if info.file_size > _RATIO_FLOOR and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
        raise SubmissionError(f"{zip_name}: {raw!r} expands {info.file_size // max(info.compress_size, 1)}x: "
                              "refused as a zip bomb")


def _strip_prefixes(tree: dict, course: Course) -> dict:
    """Drop a wrapping folder ('alice/...') and a leading 'exercises/' so paths read 'ch4/dropout.py'."""
    chapters = set(course.chapters)
    for _ in range(3):
        tops = {k.split("/", 1)[0] for k in tree}
        if "exercises" in tops and not (tops & chapters):
            tree = {k.split("/", 1)[1]: v for k, v in tree.items()
                    if k.startswith("exercises/")}
            continue
        if len(tops) == 1 and all("/" in k for k in tree) and not (tops & chapters):
            tree = {k.split("/", 1)[1]: v for k, v in tree.items()}
            continue
        break
    return tree


# ---------------------------------------------------------------------------- one exercise

def exercise_files(tree: dict, ex: Exercise, assignment: str | None = None) -> ExerciseFiles:
    """The student's file for one exercise: the .py file, else the notebook, converted."""
    stem = ex.file[:-3]
    py, nb = f"{stem}.py", f"{stem}.ipynb"
    result = ExerciseFiles(ex.id, module_file=f"{ex.name}.py")
    if assignment is not None and ex.chapter != assignment:
        result.status, result.message = "missing", f"not part of assignment {assignment}"
        return result
    chosen = py if py in tree else nb if nb in tree else None
    if chosen is None:
        result.status = "missing"
        result.message = (f"no file for this exercise: expected {py} or {nb} in your submission"
                          + (f" (found: {_sample(tree)})" if tree else ""))
        return result
    result.source = chosen
    if chosen == py and nb in tree:
        result.notes.append(f"both {py} and {nb} handed in; graded {py}")
    try:
        content = _content(tree[chosen], chosen, MAX_NOTEBOOK_BYTES if chosen == nb else MAX_SOURCE_BYTES)
        if chosen == nb:
            code, dropped = notebook_to_module(content, chosen)
            if dropped:
                result.notes.append(f"{chosen}: left out {dropped} top-level statement(s) that define "
                                    "nothing (training runs, prints, plots)")
        else:
            code = decode_source(content, chosen)
            parse_source(code, chosen)
    except SubmissionError as exc:
        result.status, result.message = "error", str(exc)
        return result
    result.files = {result.module_file: code.encode("utf-8")}
    return result


def _sample(tree: dict, n: int = 5) -> str:
    names = sorted(tree)
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")


def _content(item: bytes | _Lazy | str, rel: str, limit: int) -> bytes:
    if isinstance(item, str):
        raise SubmissionError(f"{rel} {item}")
    if isinstance(item, _Lazy):
        try:
            with open(item.path, "rb") as fh:
                item = fh.read(limit + 1)
        except OSError as exc:
            raise SubmissionError(f"{rel} could not be read ({exc.strerror})") from None
    if len(item) > limit:
        raise SubmissionError(f"{rel} is larger than {limit // 2**20} MiB")
    if not item.strip():
        raise SubmissionError(f"{rel} is empty")
    return item
