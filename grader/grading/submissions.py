"""One student's hand-in and its files: reading them (a folder, a zip, loose files of an LMS
download) within limits, and finding each exercise's file among them.

An exercise's file is found by its path (``ch4/dropout.py``, below an optional wrapping folder or
``exercises/``), else by its file name anywhere in the hand-in (course.toml keeps file names
unique): an LMS stores what the student uploaded under the original name, and Canvas adds
``-1``, ``-2`` to a name uploaded again. A notebook stands in for the ``.py`` file; a ``.py``
that is still the untouched stub gives way to a notebook beside it.

Which students a download holds is grader.grading.downloads; the whole intake (times, roster)
is grader.grading.intake. Nothing here runs student code. Every problem becomes a message
attached to the student (when the whole hand-in is unusable) or to one exercise; the others are
graded as usual. Turning one file into the module a worker imports (decoding, parsing, a
notebook's cells) is grader.grading.sources.
"""

from __future__ import annotations

import hashlib
import io
import re
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable, Union

from grader.course import Course, Exercise
from grader.grading.sources import SubmissionError, decode_source, notebook_to_module, parse_source
from grader.grading.tree import Node
from grader.results import HandIn
# Limits on what we read from a submission. Source files are small; notebooks may carry plots.
# They live with `grader pack`, which refuses the same sizes before the hand-in.
from grader.pack import MAX_NOTEBOOK_BYTES, MAX_SOURCE_BYTES, untouched

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
    kind: str                        # folder | zip | files (loose files of an LMS download) | nbgrader
    path: Path                       # where it lies in the download (a zip member's path names the zip)
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


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def has_control_characters(name: str) -> bool:
    """Newlines, escapes, NUL, and the invisible/bidirectional marks that make a name read as
    something it is not."""
    return _CONTROL.search(name) is not None


def shown_name(name: str) -> str:
    """A name from a download as it may appear in a message: escaped when it holds control characters."""
    return ascii(name) if has_control_characters(name) else name


# ---------------------------------------------------------------------------- one student's files

Item = Union[bytes, "Lazy", str]       # a file's bytes, a file not read yet, or why it is refused


class Lazy:
    """A file not read yet (on disk or in the class's download zip): read only when an exercise
    needs it, with a size cap."""

    def __init__(self, node: Node) -> None:
        self.node = node


def read_parts(parts: Iterable[tuple[str, Node]], expand_zips: bool = False) -> tuple[dict[str, Item], list[str]]:
    """One student's files: relative path -> item, and the names left out for control characters.

    Each part is (where its files go in the student's tree, a folder or file of the download):
    a folder's files keep their paths below it, a .zip of a per-student hand-in is read in memory
    (never extracted), and with `expand_zips` (an LMS that stores the student's upload as it came)
    so is a zip among loose files. A name that two parts both give keeps the first."""
    tree: dict[str, Item] = {}
    for prefix, node in parts:
        if node.is_link():
            raise SubmissionError(f"{shown_name(node.name)} is a symbolic link; hand in a real folder or zip")
        if node.is_dir():
            found = read_folder(node)
            if expand_zips:     # the zip the student uploaded, stored as it came
                for rel, item in list(found.items()):
                    if "/" not in rel and rel.lower().endswith(".zip") and isinstance(item, Lazy):
                        for inner, content in read_zip(item.node).items():
                            found.setdefault(inner, content)
        elif node.name.lower().endswith(".zip") and (expand_zips or not prefix):
            found = read_zip(node)
        else:
            found = {"" if prefix else node.name: Lazy(node)}
        for rel, item in found.items():
            key = "/".join(p for p in (prefix, rel) if p)
            if key and key not in tree:
                tree[key] = item
    if not tree:
        names = ", ".join(shown_name(n.name) for _, n in parts) or "this hand-in"
        raise SubmissionError(f"{names} is empty: no files to grade")
    return _drop_control_names(tree)


def _drop_control_names(tree: dict[str, Item]) -> tuple[dict[str, Item], list[str]]:
    """Refuse files whose names hold control characters: a name with a newline and Markdown in it
    could otherwise forge lines of feedback. They are left out and named only in escaped form."""
    kept, skipped = {}, []
    for rel, item in tree.items():
        if has_control_characters(rel):
            skipped.append(ascii(rel))
        else:
            kept[rel] = item
    return kept, skipped


def read_folder(folder: Node) -> dict[str, Item]:
    """Relative path -> lazy file, or an error string for what must not be followed (links).

    Walked without recursion and within limits (depth, entries, total size): a folder chain a
    thousand levels deep or a million empty files is this student's error, not a crash."""
    tree: dict[str, Item] = {}
    entries, total = 0, 0
    stack: list[tuple[str, Node, int]] = [("", folder, 0)]
    name = shown_name(folder.name)
    while stack:
        rel_dir, here, depth = stack.pop()
        subdirs = []
        for entry in here.children():
            if entry.name in IGNORED_NAMES:
                continue
            entries += 1
            if entries > MAX_FOLDER_ENTRIES:
                raise SubmissionError(f"{name} holds more than {MAX_FOLDER_ENTRIES} files and "
                                      "folders; hand in only your exercise files")
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.is_link():
                tree[rel] = "is a symbolic link; hand in the file itself"
            elif entry.is_dir():
                if depth + 1 >= MAX_DEPTH:
                    raise SubmissionError(f"{name} has folders nested more than {MAX_DEPTH} "
                                          "levels deep; hand in only your exercise files")
                subdirs.append((rel, entry))
            else:
                total += entry.size()
                if total > MAX_FOLDER_BYTES:
                    raise SubmissionError(f"{name} holds more than {MAX_FOLDER_BYTES // 2**20} MiB "
                                          "of files; hand in only your exercise files")
                tree[rel] = Lazy(entry)
        if len(tree) > MAX_ZIP_MEMBERS:
            raise SubmissionError(f"{name} holds more than {MAX_ZIP_MEMBERS} files")
        stack.extend((d, node, depth + 1) for d, node in reversed(subdirs))
    return tree


def read_zip(node: Node) -> dict[str, Item]:
    """Members of a student's zip, read into memory after checking every one; never extracted."""
    name = shown_name(node.name)
    size = node.size()
    if size > MAX_ZIP_BYTES:
        raise SubmissionError(f"{name} is {size // 2**20} MiB; the limit is {MAX_ZIP_BYTES // 2**20} MiB")
    data = node.read(MAX_ZIP_BYTES)
    if len(data) > MAX_ZIP_BYTES:
        raise SubmissionError(f"{name} is over the limit of {MAX_ZIP_BYTES // 2**20} MiB")
    return read_zip_bytes(name, data)


def read_zip_bytes(name: str, data: bytes) -> dict[str, Item]:
    try:
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
            tree: dict[str, Item] = {}
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
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, ValueError, OSError,
            zlib.error) as exc:
        # RuntimeError: encrypted member; NotImplementedError: unsupported compression;
        # zlib.error: a damaged deflate stream
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


def strip_prefixes(tree: dict[str, Item], course: Course) -> dict[str, Item]:
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

# Canvas names a file uploaded again `name-1.py`, `name-2.py` (before the extension).
_AGAIN = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<ext>\.[^.]+)$")


def exercise_files(tree: dict[str, Item], ex: Exercise, assignment: str | None = None) -> ExerciseFiles:
    """The student's file for one exercise (see the module docstring), converted for a worker."""
    stem = ex.file[:-3]
    py, nb = f"{stem}.py", f"{stem}.ipynb"
    result = ExerciseFiles(ex.id, module_file=f"{ex.name}.py")
    if assignment is not None and ex.chapter != assignment:
        result.status, result.message = "missing", f"not part of assignment {assignment}"
        return result
    try:
        found_py, found_nb = _locate(tree, py), _locate(tree, nb)
    except SubmissionError as exc:
        result.status, result.message = "error", str(exc)
        return result
    if found_py is None and found_nb is None:
        result.status = "missing"
        result.message = (f"no file for this exercise: expected {py} or {nb} in your submission"
                          + (f" (found: {_sample(tree)})" if tree else ""))
        return result
    notes = []
    if found_py is not None and (found_nb is None or not _is_untouched_stub(tree[found_py[0]], ex)):
        (rel, how), kind = found_py, "py"
        if found_nb is not None:
            notes.append(f"both {found_py[0]} and {found_nb[0]} handed in; graded {found_py[0]}")
    else:
        assert found_nb is not None
        (rel, how), kind = found_nb, "nb"
        if found_py is not None:
            notes.append(f"{found_py[0]} is still the untouched stub; graded {found_nb[0]}")
    result.source = rel
    result.notes = ([how] if how else []) + notes
    try:
        if kind == "nb":
            code, dropped = notebook_to_module(_content(tree[rel], rel, MAX_NOTEBOOK_BYTES), rel)
            if dropped:
                result.notes.append(f"{rel}: left out {dropped} top-level statement(s) that define "
                                    "nothing (training runs, prints, plots)")
        else:
            code = decode_source(_content(tree[rel], rel, MAX_SOURCE_BYTES), rel)
            parse_source(code, rel)
    except SubmissionError as exc:
        result.status, result.message = "error", str(exc)
        return result
    result.files = {result.module_file: code.encode("utf-8")}
    return result


def _locate(tree: dict[str, Item], wanted: str) -> tuple[str, str] | None:
    """(path in the tree, a note on how it was found) of `wanted`: by its path, else by its file
    name alone, else a Canvas re-upload of it (the highest -N); None when it is not there. Two
    files of that name in different folders are the student's to sort out: an error naming both."""
    if wanted in tree:
        return wanted, ""
    name = PurePosixPath(wanted).name
    same = sorted(k for k in tree if PurePosixPath(k).name == name)
    if len(same) == 1:
        return same[0], f"{same[0]} graded as {wanted} (found by its file name)"
    if len(same) > 1:
        raise SubmissionError(f"{len(same)} files named {name} in your submission ({', '.join(same[:4])}): "
                              f"keep one, at {wanted}")
    again = []
    for k in tree:
        m = _AGAIN.match(PurePosixPath(k).name)
        if m and m["stem"] + m["ext"] == name:
            again.append((int(m["n"]), k))
    if again:
        n, k = max(again)
        return k, f"{k} graded as {wanted} (the last upload of {name})"
    return None


def _is_untouched_stub(item: Item, ex: Exercise) -> bool:
    """The handed-in .py is still the stub (as `grader pack` tells the student: grader.pack.untouched)."""
    if isinstance(item, str):
        return False
    try:
        return untouched(decode_source(_content(item, ex.file, MAX_SOURCE_BYTES), ex.file), ex.symbols)
    except SubmissionError:
        return False


def _sample(tree: dict, n: int = 5) -> str:
    names = sorted(tree)
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")


def _content(item: Item, rel: str, limit: int) -> bytes:
    if isinstance(item, str):
        raise SubmissionError(f"{rel} {item}")
    if isinstance(item, Lazy):
        item = item.node.read(limit)
    if len(item) > limit:
        raise SubmissionError(f"{rel} is larger than {limit // 2**20} MiB")
    if not item.strip():
        raise SubmissionError(f"{rel} is empty")
    return item
