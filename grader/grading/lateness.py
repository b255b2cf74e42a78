"""When a student handed in, and what being late costs: read after the checks, never inside them.

Submission time, in order: a Gradescope `submission_metadata.json` (`created_at`) or a
`submitted_at` in it, nbgrader's `timestamp.txt`, else the newest file mtime in the submission.
Which one was used is kept with the time, so the report can say so.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import zipfile
from pathlib import Path

from grader.course import Assignment
from grader.grading.submissions import MAX_DEPTH, MAX_FOLDER_ENTRIES

METADATA_FILES = ("submission_metadata.json", "timestamp.txt")


def submission_time(path: Path) -> tuple[str, str]:
    """(ISO time in UTC, where it came from) for a student folder or zip; ("", "") when unknown."""
    path = Path(path)
    texts: dict[str, str] = {}
    mtimes: list[float] = []
    if path.is_dir():
        for f, top in _files(path):
            if f.name in METADATA_FILES and top:
                texts[f.name] = f.read_text(encoding="utf-8", errors="replace")[:100_000]
            else:
                mtimes.append(f.stat().st_mtime)
    elif path.is_file() and path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    name = info.filename.rstrip("/").rsplit("/", 1)[-1]
                    if name in METADATA_FILES and info.filename.count("/") <= 1 and info.file_size < 100_000:
                        texts[name] = zf.read(info).decode("utf-8", errors="replace")
                    elif not info.is_dir():
                        mtimes.append(_dt.datetime(*info.date_time).timestamp())
        except (zipfile.BadZipFile, OSError):
            pass
        if not mtimes:
            mtimes.append(path.stat().st_mtime)
    if "submission_metadata.json" in texts:
        at = _from_metadata(texts["submission_metadata.json"])
        if at:
            return at, "submission_metadata.json"
    if "timestamp.txt" in texts:
        at = _parse_time(texts["timestamp.txt"].strip())
        if at:
            return at, "timestamp.txt"
    if mtimes:
        return _iso(_dt.datetime.fromtimestamp(max(mtimes), _dt.timezone.utc)), "newest file mtime"
    return "", ""


def _files(folder: Path) -> list[tuple[Path, bool]]:
    """Regular files of a student's folder (and whether each is at its top), walked without
    recursion within discovery's depth and entry limits: a hostile folder tree cannot crash this."""
    found: list[tuple[Path, bool]] = []
    stack: list[tuple[Path, int]] = [(folder, 0)]
    seen = 0
    while stack and seen < MAX_FOLDER_ENTRIES:
        here, depth = stack.pop()
        try:
            entries = list(os.scandir(here))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if entry.name.startswith(".") or entry.name == "__pycache__":
                continue
            if entry.is_dir(follow_symlinks=False):
                if depth + 1 < MAX_DEPTH:
                    stack.append((Path(entry.path), depth + 1))
            elif entry.is_file(follow_symlinks=False):
                found.append((Path(entry.path), depth == 0))
    return found


def _from_metadata(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    for key in ("submitted_at", "created_at"):
        if isinstance(data.get(key), str):
            at = _parse_time(data[key])
            if at:
                return at
    return ""


def _parse_time(text: str) -> str:
    """ISO 8601 (Gradescope) or nbgrader's `2026-10-01 23:59:00.123456 UTC`; naive means UTC."""
    text = text.strip()
    for suffix in (" UTC", "Z"):
        if text.endswith(suffix):
            text = text[: -len(suffix)] + "+00:00"
    try:
        t = _dt.datetime.fromisoformat(text)
    except ValueError:
        return ""
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return _iso(t)


def _iso(t: _dt.datetime) -> str:
    return t.astimezone(_dt.timezone.utc).isoformat(timespec="seconds")


def due_for(assignment: Assignment, student: str) -> _dt.datetime:
    return assignment.extensions.get(student, assignment.due)


def late_share(assignment: Assignment, student: str, submitted_at: str) -> tuple[float, float]:
    """(hours late, share of the raw score taken away) for one student."""
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
