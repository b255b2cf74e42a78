"""A class roster and how hand-ins map onto it, so that no hand-in can take another student's row.

The roster is a CSV, read as it comes:

* Canvas's gradebook export (``Student, ID, SIS User ID, SIS Login ID, Section, ...`` and a
  "Points Possible" row): the student is Canvas's ``ID`` (the user id Canvas's download names),
  with the login, the SIS id and the name ("Last, First") to match on;
* Moodle's gradebook export (``First name, Last name, ID number, Institution, Department,
  Email address, ...``; "Surname" also read): the student is the ID number, else the email;
  Moodle's grading worksheet (``Identifier`` "Participant 123", ``Full name``, ``Email address``)
  also gives the participant id Moodle's download names;
* any other CSV with ``id, name, email, section`` (other headers with `--roster-column`).

A hand-in is matched on ids first (the LMS's own id against a roster from that LMS, then the
roster's id and login), then emails, then the part of an email before ``@``, then names, the
first kind that finds anyone deciding. A key that finds several roster rows, or two hand-ins that
find one row, is an error for those students only: named in their hand-in and listed, never the
run's, and never settled by which row or hand-in comes first.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from grader.errors import GraderError

ROSTER_FIELDS = ("id", "name", "email", "section", "login")
TIERS = ("id", "email", "email's local part", "name")


class RosterError(GraderError):
    """A roster file that cannot be read at all (a row that cannot be used only leaves that row out)."""


@dataclass(frozen=True)
class RosterStudent:
    id: str
    name: str = ""
    email: str = ""
    section: str = ""
    login: str = ""
    lms_id: str = ""          # the LMS's own id of the student, when the roster is that LMS's export
    lms: str = ""             # canvas | moodle | "" (which LMS's ids `lms_id` holds)
    line: int = 0


@dataclass(frozen=True)
class Keys:
    """What one hand-in is known by (see grader.grading.downloads.Keys), and its LMS."""

    lms: str = ""
    lms_ids: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


@dataclass
class Mapping:
    ids: dict[str, str] = field(default_factory=dict)         # hand-in -> roster id (matched ones)
    unmatched: list[str] = field(default_factory=list)        # hand-ins no roster student matches
    absent: list[RosterStudent] = field(default_factory=list)  # roster students with no hand-in
    problems: dict[str, str] = field(default_factory=dict)    # hand-in -> why it is not mapped
    clashes: list[dict] = field(default_factory=list)         # {"roster_id", "hand_ins", "hand_in_ids", "problem"}


# ---------------------------------------------------------------------------- reading

def _cell(text: str | None) -> str:
    return unicodedata.normalize("NFC", (text or "").strip())


def load_roster(path: Path, columns: dict[str, str] | None = None) -> list[RosterStudent]:
    """The students of a roster CSV (see the module docstring for the forms read as they are);
    `columns` maps id/name/email/section/login to other header names."""
    for key in columns or {}:
        if key not in ROSTER_FIELDS:
            raise RosterError(f"--roster-column {key}=...: unknown field (known: {', '.join(ROSTER_FIELDS)})")
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RosterError(f"--roster {path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise RosterError(f"--roster {path}: not UTF-8 text; save it as CSV UTF-8") from None
    try:
        rows = list(csv.DictReader(text.splitlines()))
    except csv.Error as exc:
        raise RosterError(f"--roster {path}: not a CSV file ({exc})") from None
    headers = list(rows[0].keys()) if rows else next(csv.reader(text.splitlines()), [])
    form = _form(headers)
    names = {**form, **(columns or {})}
    if not any(h in headers for h in _id_headers(names)):
        raise RosterError(f"--roster {path}: no column {names['id']!r} for the student id (columns: "
                          f"{', '.join(h for h in headers if h) or 'none'}); name it with --roster-column id=HEADER")
    students = []
    for line, row in enumerate(rows, start=2):
        student = _student(row, names, line)
        if student is not None:
            students.append(student)
    return students


def _form(headers: list[str]) -> dict[str, str]:
    """Header names of the roster's fields, by the export it looks like."""
    if "SIS Login ID" in headers and "Student" in headers:          # Canvas's gradebook
        return {"id": "ID", "name": "Student", "email": "", "section": "Section", "login": "SIS Login ID",
                "lms": "canvas", "lms_id": "ID", "sis": "SIS User ID"}
    if "Identifier" in headers and "Full name" in headers:            # Moodle's grading worksheet
        return {"id": "Email address", "name": "Full name", "email": "Email address", "section": "",
                "login": "", "lms": "moodle", "lms_id": "Identifier"}
    if "First name" in headers and ("Last name" in headers or "Surname" in headers):   # Moodle's gradebook
        return {"id": "ID number", "name": "", "email": "Email address", "section": "Department", "login": "",
                "lms": "moodle", "first": "First name", "last": "Last name" if "Last name" in headers else "Surname"}
    return {f: f for f in ROSTER_FIELDS}


def _id_headers(names: dict[str, str]) -> list[str]:
    moodle = names.get("lms") == "moodle"
    return [h for h in (names.get("id"), names.get("email") if moodle else None,
                        names.get("lms_id") if moodle else None) if h]


def _student(row: dict, names: dict[str, str], line: int) -> RosterStudent | None:
    def get(field_name: str) -> str:
        header = names.get(field_name)
        return _cell(row.get(header)) if header else ""

    name = get("name") or " ".join(p for p in (get("first"), get("last")) if p)
    if name.strip().casefold() in ("points possible", "student, test", "test student"):
        return None                  # Canvas's "Points Possible" row and its test student
    email = get("email")
    lms_id = re.sub(r"^Participant\s+", "", get("lms_id"), flags=re.IGNORECASE)
    sid = get("id") or (email or lms_id if names.get("lms") == "moodle" else "")
    if not sid:
        return None
    login = get("login") or get("sis")
    return RosterStudent(sid, name, email, get("section"), login, lms_id, names.get("lms", ""), line)


# ---------------------------------------------------------------------------- matching

def _key(text: str) -> str:
    return re.sub(r"[\s_]+", " ", unicodedata.normalize("NFC", text)).strip().casefold()


def _squashed(text: str) -> str:
    """A name as Canvas writes it into file names: letters and digits only."""
    return "".join(ch for ch in _key(text) if ch.isalnum())


def _name_keys(name: str) -> set[str]:
    """A name's spellings: as written, "First Last" for "Last, First", and each squashed."""
    out = {_key(name)}
    if "," in name:
        last, first = name.split(",", 1)
        out.add(_key(f"{first} {last}"))
    out |= {_squashed(n) for n in list(out)}
    return {k for k in out if k}


def _local(email: str) -> str:
    return email.split("@", 1)[0] if "@" in email else ""


class RosterIndex:
    """The roster's rows by each kind of key (see TIERS)."""

    def __init__(self, roster: list[RosterStudent]) -> None:
        self.roster = roster
        self.by: dict[str, dict[str, list[RosterStudent]]] = {t: {} for t in TIERS}
        for s in roster:
            for tier, values in (("id", {s.id, s.login} | ({f"{s.lms}:{s.lms_id}"} if s.lms_id else set())),
                                 ("email", {s.email}), ("email's local part", {_local(s.email)}),
                                 ("name", _name_keys(s.name) if s.name else set())):
                for v in values:
                    if v and _key(v):
                        rows = self.by[tier].setdefault(_key(v), [])
                        if s not in rows:
                            rows.append(s)

    def match(self, keys: Keys) -> tuple[RosterStudent | None, str]:
        """(the roster row, "") or (None, why several rows) or (None, "") when none matches."""
        wanted = {"id": {f"{keys.lms}:{i}" for i in keys.lms_ids if keys.lms} | set(keys.ids),
                  "email": set(keys.emails) | set(keys.ids),
                  "email's local part": {_local(e) for e in keys.emails} | set(keys.ids),
                  "name": {k for n in keys.names for k in _name_keys(n)}}
        for tier in TIERS:
            rows: list[RosterStudent] = []
            for value in wanted[tier]:
                for row in self.by[tier].get(_key(value), []) if value and _key(value) else []:
                    if row not in rows:
                        rows.append(row)
            if len(rows) == 1:
                return rows[0], ""
            if len(rows) > 1:
                listed = ", ".join(f"{r.id}" + (f" ({r.name})" if r.name else "") for r in rows[:4])
                return None, (f"matches {len(rows)} roster students by {tier} ({listed}): which one is not ours to "
                              "guess; make the roster's keys unique")
        return None, ""


def map_hand_ins(hand_ins: dict[str, Keys], roster: list[RosterStudent], shown: dict[str, str] | None = None) -> Mapping:
    """Which roster student each hand-in is (by the module docstring's rules); `shown` names a
    hand-in in messages (its folder or file name)."""
    index = RosterIndex(roster)
    shown = shown or {}
    result = Mapping()
    claims: dict[str, list[str]] = {}
    for hid, keys in hand_ins.items():
        row, problem = index.match(keys)
        if problem:
            result.problems[hid] = problem
        elif row is None:
            result.unmatched.append(hid)
        else:
            claims.setdefault(row.id, []).append(hid)
    for rid, hids in claims.items():
        if len(hids) == 1:
            result.ids[hids[0]] = rid
            continue
        names = [shown.get(h, h) for h in hids]
        for hid in hids:
            others = ", ".join(repr(n) for n in names if n != shown.get(hid, hid))
            result.problems[hid] = (f"two hand-ins are roster student {rid!r}: {shown.get(hid, hid)!r} and {others}; "
                                    "keep one of them")
        result.clashes.append({"roster_id": rid, "hand_ins": names, "hand_in_ids": hids,
                               "problem": f"{len(hids)} hand-ins are roster student {rid}: {', '.join(names)}"})
    taken = set(result.ids.values()) | {c["roster_id"] for c in result.clashes}
    result.absent = [s for s in roster if s.id not in taken]
    return result


def students_by_id(roster: Iterable[RosterStudent]) -> dict[str, RosterStudent]:
    """The roster by id (the first row of an id that two rows give, as the report shows one)."""
    out: dict[str, RosterStudent] = {}
    for s in roster:
        out.setdefault(s.id, s)
    return out
