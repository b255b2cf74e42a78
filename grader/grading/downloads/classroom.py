"""GitHub Classroom: each student's repository cloned as ``<assignment>-<login>/`` (what
``gh classroom clone student-repos`` makes, inside ``<assignment>-submissions/``).

The source of that naming: github/gh-classroom, cmd/gh-classroom/clone/student-repos/
student-repos.go (clones each accepted assignment's repository, named `<slug>-<login>`, into
`<slug>-submissions/`). A clone's times are commit times, which the student sets: the hand-in
time is unknown unless `--times` gives it.
"""

from __future__ import annotations

import os
import unicodedata

from grader.grading.downloads import Found, Keys, Listing, Options
from grader.grading.submissions import sanitize_id
from grader.grading.tree import Node
from grader.results import HandIn

NAME = "classroom"
EXPECTED = "GitHub Classroom clones (<assignment>-<login>/ git folders)"
UNKNOWN = "unknown: a clone carries only commit times, which the student sets (give --times)"


def _prefix(top: Node, entries: list[Node]) -> str:
    """The `<assignment>-` every clone's name starts with ("" when there is none)."""
    if top.name.endswith("-submissions"):
        return top.name[: -len("submissions")]
    common = os.path.commonprefix([e.name for e in entries])
    return common[: common.rfind("-") + 1] if "-" in common else ""


def looks_like(top: Node, entries: list[Node], options: Options) -> bool:
    folders = [e for e in entries if e.is_dir()]
    if not folders or len(folders) != len(entries):
        return False
    prefix = _prefix(top, folders)
    clones = all(f.child(".git") is not None for f in folders)
    return bool(prefix) and all(f.name.startswith(prefix) for f in folders) and (
        clones or top.name.endswith("-submissions"))


def find(top: Node, entries: list[Node], options: Options) -> Listing:
    prefix = _prefix(top, [e for e in entries if e.is_dir()])
    listing = Listing()
    for entry in entries:
        if not entry.is_dir() or not entry.name.startswith(prefix):
            continue
        login = unicodedata.normalize("NFC", entry.name[len(prefix):])
        handin = HandIn(lms="classroom", lms_id=login, name=login, raw_name=entry.name, source=UNKNOWN)
        problem = "" if login else f"{entry.name}: no login after {prefix!r}"
        listing.found.append(Found(sanitize_id(login or entry.name), entry.name, "folder", entry.path,
                                   [("", entry)], handin, Keys(ids=(login,), emails=(login,), names=(login,)),
                                   problem=problem))
    return listing
