"""The plain form: one folder or .zip per student (``alice/ch4/dropout.py``, ``bob.zip`` as
`grader pack` writes it), in a folder or in a zip of that folder.

A folder says nothing about when it was handed in: its files' mtimes are when they were
extracted or copied. A zip's own mtime is its hand-in time only where the folder is the
collection system itself (a drop box or shared drive that received each zip, not a copy and not
an extracted download): the instructor says so with `--times mtime`.
"""

from __future__ import annotations

import unicodedata

from grader.grading.downloads import Found, Keys, Listing, Options, left_out
from grader.grading.submissions import sanitize_id, shown_name
from grader.grading.times import iso_from_timestamp
from grader.grading.tree import Node
from grader.results import HandIn

NAME = "folders"
EXPECTED = "one folder or .zip per student (alice/ch4/dropout.py, bob.zip)"
UNKNOWN_FOLDER = "unknown: a folder carries only extraction or copy times"
UNKNOWN_ZIP = "unknown: give --times (or --times mtime where this folder is the drop box itself)"


def looks_like(top: Node, entries: list[Node], options: Options) -> bool:
    return any(e.is_dir() or e.is_link() or _is_zip(e) for e in entries)


def find(top: Node, entries: list[Node], options: Options) -> Listing:
    listing = Listing()
    ignored = []
    for entry in entries:
        if entry.is_link():
            listing.found.append(handin_of(entry, "folder", options,
                                           problem=f"{shown_name(entry.name)} is a symbolic link; "
                                                   "hand in a real folder or zip"))
        elif entry.is_dir():
            listing.found.append(handin_of(entry, "folder", options))
        elif _is_zip(entry):
            listing.found.append(handin_of(entry, "zip", options))
        else:
            ignored.append(shown_name(entry.name))
    listing.warnings += left_out("the hand-ins (not a folder or .zip)", ignored)
    return listing


def handin_of(entry: Node, kind: str, options: Options, problem: str = "", lms: str = "",
              source: str = "") -> Found:
    """A student's folder or zip, keyed by its name (its stem for a zip)."""
    raw = unicodedata.normalize("NFC", entry.name[:-4] if kind == "zip" else entry.name)
    handin = HandIn(lms=lms or ("zips" if kind == "zip" else "folders"), raw_name=entry.name,
                    source=source or (UNKNOWN_ZIP if kind == "zip" else UNKNOWN_FOLDER))
    if kind == "zip" and options.mtime:
        try:
            mtime = entry.delivered_mtime()
            if mtime is not None:
                handin.at, handin.source = iso_from_timestamp(mtime), "the zip's own mtime as delivered (--times mtime)"
        except (OSError, OverflowError, ValueError) as exc:
            handin.problems.append(f"the mtime of {shown_name(entry.name)} is not a time ({type(exc).__name__})")
    return Found(sanitize_id(raw), entry.name, kind, entry.path, [("", entry)], handin,
                 Keys(ids=(raw,), emails=(raw,), names=(raw,)), problem=problem)


def _is_zip(entry: Node) -> bool:
    return not entry.is_dir() and entry.name.lower().endswith(".zip")
