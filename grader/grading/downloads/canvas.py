"""Canvas's "Download Submissions" zip: every student's files loose at the top, each renamed
``<name>_[LATE_]<user id>_<submission id>_<original name>``; a file uploaded again gets ``-1``,
``-2`` before its extension, and a student's zip stays a zip.

The name part is the student's sortable name squashed to one word (``smithbob``), the user id is
Canvas's own (the ``ID`` column of Canvas's gradebook export, so that export works as the roster
as it is), and ``LATE`` is Canvas's own late marker. The download holds no time: a LATE file
makes the hand-in late=True with no time; `--times` gives the time.

What this follows: mikewesthad/canvas-unzipper's README (``smithbob_340934_208490284_BobsWork.zip``
among loose files), TimHanneman/Canvas_submission_sort (the LATE field, the ``-N`` of a
resubmission before the extension), otter-grader's CanvasParser (the student is the part before
the first underscore) and ssardina-teaching/canvas-submission-time-scraper (Canvas's download and
gradebook give no hand-in times; the API's `submitted_at` does).
"""

from __future__ import annotations

import re

from grader.grading.downloads import Found, Keys, Listing, Options, group_by_name, left_out
from grader.grading.tree import Node
from grader.results import HandIn

NAME = "canvas"
EXPECTED = ("Canvas's \"Download Submissions\" zip (files named <name>_[LATE_]<user id>_<submission id>_<file>, "
            "e.g. smithbob_12345_678901_dropout.py)")
# the name part is one squashed word (no spaces: that is Moodle's "Full Name_<id>_assignsubmission_...")
PATTERN = re.compile(r"^(?P<name>[^_\s]+)_(?P<late>late_)?(?P<uid>\d+)_(?:(?P<sub>\d+)_)?(?P<file>.+)$", re.IGNORECASE)
LATE = "Canvas's LATE marker (the download gives no time; give --times)"
ON_TIME = "unknown: Canvas's download gives no time, and no LATE marker"


def looks_like(top: Node, entries: list[Node], options: Options) -> bool:
    named = [e for e in entries if not e.is_dir() and PATTERN.match(e.name)]
    return bool(named) and len(named) * 2 >= len(entries)


def find(top: Node, entries: list[Node], options: Options) -> Listing:
    by_user, ignored = group_by_name(entries, PATTERN, "uid", lambda m, e: not e.is_dir())
    listing = Listing(warnings=left_out("the Canvas download (not named as Canvas names hand-ins)", ignored))
    for uid, files in by_user.items():
        name = files[0][0]["name"]
        late = any(m["late"] for m, _ in files)
        # the id in the name's third part is the file's (Canvas's attachment id; README calls it the
        # submission id as the tools around Canvas do): the newest names feedback for Re-Upload Submissions
        submission = max((m["sub"] or "" for m, _ in files), key=lambda s: (len(s), s))
        handin = HandIn(lms="canvas", lms_id=uid, submission_id=submission, name=name, raw_name=f"{name}_{uid}",
                        late=late, source=LATE if late else ON_TIME)
        parts = [(m["file"], node) for m, node in files]
        listing.found.append(Found(uid, f"{name}_{uid}", "files", top.path / f"{name}_{uid}", parts, handin,
                                   Keys(lms_ids=(uid,), names=(name,)), expand_zips=True))
    return listing
