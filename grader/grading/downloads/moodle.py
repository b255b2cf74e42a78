"""Moodle's "Download all submissions" zip: per student, a folder
``<Full Name>_<participant id>_assignsubmission_file/`` holding the uploaded files under their
own names (the default since Moodle 3.1), or, with "Download submissions in folders" off, loose
files ``<Full Name>_<participant id>_assignsubmission_file_<file>``; online text comes as
``..._assignsubmission_onlinetext/onlinetext.html``.

What this follows: Moodle's own mod/assign/classes/downloader.php (the prefix is the full name
with ``_`` made a space, ``_``, the participant id from `get_uniqueid_for_user`; then
``_assignsubmission_<plugin>``, a folder or a ``_<file>`` suffix; a team hand-in is named after
its group, a blind-marked one "Participant"), and mod/assign's feedback import tests
("StudentName_StudentID_PluginType_Plugin_FilePathAndName"). The participant id is Moodle's
per-assignment id, not the user's ID number, so a Moodle gradebook export joins by name (or
email); Moodle's grading worksheet names it ("Participant 123456"). The download holds no time.
"""

from __future__ import annotations

import re

from grader.grading.downloads import Found, Keys, Listing, Options, group_by_name, left_out
from grader.grading.tree import Node
from grader.results import HandIn

NAME = "moodle"
EXPECTED = ("Moodle's \"Download all submissions\" zip (<Full Name>_<id>_assignsubmission_file/ folders "
            "or <Full Name>_<id>_assignsubmission_file_<file> files)")
PATTERN = re.compile(r"^(?P<name>[^_]+)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)(?:_(?P<file>.+))?$")
UNKNOWN = "unknown: Moodle's download gives no time (give --times, e.g. Moodle's grading worksheet)"


def looks_like(top: Node, entries: list[Node], options: Options) -> bool:
    named = [e for e in entries if PATTERN.match(e.name)]
    return bool(named) and len(named) * 2 >= len(entries)


def find(top: Node, entries: list[Node], options: Options) -> Listing:
    # a folder has no file part in its name; a loose file has one
    by_participant, ignored = group_by_name(entries, PATTERN, "pid", lambda m, e: (m["file"] is None) == e.is_dir())
    listing = Listing(warnings=left_out("the Moodle download (not named as Moodle names hand-ins)", ignored))
    for pid, items in by_participant.items():
        name = items[0][0]["name"]
        handin = HandIn(lms="moodle", lms_id=pid, name=name, raw_name=f"{name}_{pid}", source=UNKNOWN)
        # a folder's files keep their own names; a loose file gets back the name it was uploaded as
        parts = [("" if node.is_dir() else m["file"], node) for m, node in items]
        kind = "folder" if all(n.is_dir() for _, n in items) else "files"
        listing.found.append(Found(pid, f"{name}_{pid}", kind, top.path / f"{name}_{pid}", parts, handin,
                                   Keys(lms_ids=(pid,), names=(name,)), expand_zips=True))
    return listing
