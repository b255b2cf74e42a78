"""Hand-in times from the collection system or the instructor, never from the hand-in: the times
CSV (`grader grade --times times.csv`) and the date forms LMSs write.

The times CSV has a column naming the student and one giving the time; the headers other tools
write are understood as they are: `id` / `submitted_at`, Canvas's submissions API
(`user_id` / `submitted_at`, as scripts that export it write it), Gradescope's scores export
(`SID` or `Email` / `Submission Time`), Moodle's grading worksheet (`Identifier` "Participant
123" / `Last modified (submission)`). Times are ISO 8601 (`2030-01-17T09:30:00-08:00`, a space
for the T, `Z` or ` UTC`, an offset after a space as Gradescope and Ruby write it) or Moodle's
English `Tuesday, 14 January 2030, 10:15 AM`; a time without a zone is read in the zone of the
assignment's due date and says so.

A row that cannot be read is that student's problem, never the run's: `read_times` returns it
with its message, and the intake puts it on that student's hand-in.
"""

from __future__ import annotations

import csv
import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import GraderError

ID_HEADERS = ("id", "student", "student id", "student_id", "user_id", "user id", "sid", "login", "username",
              "email", "email address", "identifier", "sis login id", "sis user id")
TIME_HEADERS = ("submitted_at", "submitted at", "submitted", "submission_time", "submission time", "created_at",
                "time", "timestamp", "last modified (submission)")
# a plausible hand-in: anything outside is a typo or a placeholder (0001-01-01, 1970-01-01)
EARLIEST, LATEST = 1990, 2200
_MOODLE_FORMATS = ("%A, %d %B %Y, %I:%M %p", "%A, %d %B %Y, %H:%M", "%d %B %Y, %I:%M %p", "%d %B %Y, %H:%M")


class TimesError(GraderError):
    """The times CSV as a whole cannot be used (unreadable, no id or time column)."""


@dataclass(frozen=True)
class TimeRow:
    line: int
    key: str              # the student as the row names them, normalised (see `key`)
    at: str               # ISO 8601 in UTC, "" when the row has a problem
    problem: str = ""
    assumed_zone: str = ""    # the zone a time without one was read in


def key(text: str) -> str:
    """A student key as rows and hand-ins are compared: NFC, case-folded, spaces collapsed,
    Moodle's "Participant " prefix dropped."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(text))).strip()
    text = re.sub(r"^participant\s+", "", text, flags=re.IGNORECASE)
    return text.casefold()


def parse_time(value: Any, tz: _dt.tzinfo | None = None) -> tuple[str, str]:
    """(ISO 8601 in UTC, the zone assumed or "") of a time as an LMS or a spreadsheet writes it;
    ValueError with a message for the student's record when it cannot be one."""
    if isinstance(value, _dt.datetime):
        t = value
    elif isinstance(value, str) and value.strip():
        t = _from_text(value.strip())
    else:
        raise ValueError(f"no time given ({value!r:.40})")
    assumed = ""
    if t.tzinfo is None:
        t = t.replace(tzinfo=tz or _dt.timezone.utc)
        assumed = str(tz or "UTC")
    try:
        utc = t.astimezone(_dt.timezone.utc)
    except (OverflowError, ValueError):
        raise ValueError(f"the time {value!s:.40} is out of range") from None
    if not EARLIEST <= utc.year <= LATEST:
        raise ValueError(f"the time {value!s:.40} is not a plausible hand-in time")
    return utc.isoformat(timespec="seconds"), assumed


def _from_text(text: str) -> _dt.datetime:
    iso = re.sub(r"\s*(?:Z|UTC)$", "+00:00", text)
    iso = re.sub(r"(\d)\s+([+-]\d{2}):?(\d{2})$", r"\1\2:\3", iso)   # "10:05:39 -0800" (Gradescope, Ruby)
    try:
        return _dt.datetime.fromisoformat(iso)
    except ValueError:
        pass
    for fmt in _MOODLE_FORMATS:
        try:
            return _dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"{text[:40]!r} is not a date-time (write it like 2030-01-17T09:30:00+01:00)")


def iso_from_timestamp(seconds: float) -> str:
    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).isoformat(timespec="seconds")


def read_times(path: Path, tz: _dt.tzinfo | None = None) -> list[TimeRow]:
    """Every row of the times CSV; a row's problem is kept with it (see the module docstring)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TimesError(f"--times {path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise TimesError(f"--times {path}: not UTF-8 text; save it as CSV UTF-8") from None
    try:
        reader = csv.reader(text.splitlines())
        header = next(reader, [])
        rows = list(reader)
    except csv.Error as exc:
        raise TimesError(f"--times {path}: not a CSV file ({exc})") from None
    names = [key(h) for h in header]
    id_col = next((names.index(h) for h in ID_HEADERS if h in names), None)
    time_col = next((names.index(h) for h in TIME_HEADERS if h in names), None)
    if id_col is None or time_col is None:
        raise TimesError(f"--times {path}: needs a student column ({', '.join(ID_HEADERS[:2])}, ...) and a "
                         f"time column ({', '.join(TIME_HEADERS[:2])}, ...); its columns: "
                         f"{', '.join(h for h in header if h) or 'none'}")
    out = []
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        who = row[id_col] if id_col < len(row) else ""
        when = row[time_col] if time_col < len(row) else ""
        if not who.strip():
            continue
        try:
            at, assumed = parse_time(when, tz)
            out.append(TimeRow(line, key(who), at, assumed_zone=assumed))
        except ValueError as exc:
            out.append(TimeRow(line, key(who), "", f"{path.name} line {line}: {exc}"))
    return out
