"""A class roster (CSV: id, name, email, section) and how submission folders map onto it.

A submission folder or zip matches a roster student when its name is, after NFC normalisation
and case folding, the student's id, email, the email's part before `@`, or name (spaces and
underscores alike). Unmatched submissions keep their folder name; roster students without a
submission are listed. Two submissions that map to one student are an error naming both.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GraderError

ROSTER_FIELDS = ("id", "name", "email", "section")


class RosterError(GraderError):
    """A roster that cannot be read, or submissions that cannot be told apart through it."""


@dataclass(frozen=True)
class RosterStudent:
    id: str
    name: str = ""
    email: str = ""
    section: str = ""


@dataclass
class Mapping:
    ids: dict[str, str] = field(default_factory=dict)      # submission id -> roster id
    unmatched: list[str] = field(default_factory=list)     # submissions no roster student matches
    absent: list[RosterStudent] = field(default_factory=list)   # roster students with no submission


def _key(text: str) -> str:
    return re.sub(r"[\s_]+", " ", unicodedata.normalize("NFC", text)).strip().casefold()


def load_roster(path: Path, columns: dict[str, str] | None = None) -> list[RosterStudent]:
    """The students of a roster CSV; `columns` maps id/name/email/section to its header names."""
    names = {f: f for f in ROSTER_FIELDS}
    for key, header in (columns or {}).items():
        if key not in ROSTER_FIELDS:
            raise RosterError(f"--roster-column {key}=...: unknown field (known: {', '.join(ROSTER_FIELDS)})")
        names[key] = header
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RosterError(f"--roster {path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise RosterError(f"--roster {path}: not UTF-8 text; save it as CSV UTF-8") from None
    reader = csv.DictReader(text.splitlines())
    headers = reader.fieldnames or []
    if names["id"] not in headers:
        raise RosterError(f"--roster {path}: no column {names['id']!r} for the student id (columns: "
                          f"{', '.join(headers) or 'none'}); name it with --roster-column id=HEADER")
    students: list = []
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        sid = unicodedata.normalize("NFC", (row.get(names["id"]) or "").strip())
        if not sid:
            continue
        if sid in seen:
            raise RosterError(f"--roster {path}: student id {sid!r} on lines {seen[sid]} and {line}")
        seen[sid] = line
        students.append(RosterStudent(sid, *(unicodedata.normalize("NFC", (row.get(names[f]) or "").strip())
                                             for f in ("name", "email", "section"))))
    return students


def map_submissions(submission_ids: list[str], roster: list[RosterStudent],
                    folder_names: dict[str, str] | None = None) -> Mapping:
    """Which roster student each submission is (by its folder name, see the module docstring)."""
    index: dict[str, str] = {}
    for s in roster:
        for value in (s.id, s.email, s.email.split("@")[0] if s.email else "", s.name):
            if value:
                index.setdefault(_key(value), s.id)
    result = Mapping()
    by_student: dict[str, str] = {}
    for sub in submission_ids:
        name = (folder_names or {}).get(sub, sub)
        target = index.get(_key(name)) or index.get(_key(sub))
        if target is None:
            result.unmatched.append(sub)
            result.ids[sub] = sub
            continue
        if target in by_student:
            raise RosterError(f"two submissions are student {target!r} of the roster: "
                              f"{by_student[target]!r} and {name!r}; keep one of them")
        by_student[target] = name
        result.ids[sub] = target
    taken = set(result.ids.values())
    result.absent = [s for s in roster if s.id not in taken]
    return result
