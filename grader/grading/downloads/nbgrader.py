"""nbgrader's collected hand-ins: ``COURSE_DIR/submitted/<student>/<assignment>/<notebook>.ipynb``
(give the course folder or its ``submitted/``; `--nbgrader COURSE_DIR --assignment chN` does).

nbgrader writes a `timestamp.txt` into each student's folder, but that folder is the student's:
what lies in it never decides a penalty, so the time is unknown unless `--times` gives it.
"""

from __future__ import annotations

from grader.grading.downloads import Listing, Options, entries_of
from grader.grading.downloads.folders import handin_of
from grader.grading.tree import Node

NAME = "nbgrader"
EXPECTED = "nbgrader's submitted/<student>/<assignment>/ folders"
UNKNOWN = "unknown: nbgrader's timestamp.txt lies in the student's own folder (give --times)"


def _submitted(top: Node, options: Options) -> Node | None:
    inner = top.child("submitted")
    if inner is not None and inner.is_dir() and all(e.is_dir() for e in entries_of(inner, options)):
        return inner      # `submitted` holding files is a student of that name, not nbgrader's folder
    return None


def looks_like(top: Node, entries: list[Node], options: Options) -> bool:
    """nbgrader's course folder, or its `submitted/` itself (what `--nbgrader COURSE_DIR` gives)."""
    return _submitted(top, options) is not None or (
        top.name == "submitted" and bool(entries) and all(e.is_dir() for e in entries))


def find(top: Node, entries: list[Node], options: Options) -> Listing:
    inner = _submitted(top, options)
    if inner is not None:
        entries = entries_of(inner, options)
    listing = Listing()
    for entry in entries:
        if entry.is_dir() or entry.is_link():
            problem = "a symbolic link; hand in a real folder" if entry.is_link() else ""
            listing.found.append(handin_of(entry, "nbgrader", options, problem=problem, lms="nbgrader",
                                           source=UNKNOWN))
    return listing
