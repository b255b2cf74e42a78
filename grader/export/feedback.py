"""Feedback that reaches each student: every student's feedback page (the one feedback/ holds
beside the class report, a page that reads on its own) packed the way an LMS takes feedback back.

**canvas**: Canvas's "Re-Upload Submissions" (on the assignment's page, beside "Download
Submissions") takes a zip of files named as its own download names them,
``<name>_[LATE_]<user id>_<file id>_<file>``, and attaches each to the named student's submission
as a comment ("See attached file"). What Canvas reads back (app/models/assignment.rb,
``infer_comment_context_from_filename``): the first two parts of the name (split at ``_``) that
are all digits are the user id and the id of a file of that user's submission (lib/content_zipper.rb
writes them so: ``users_name_[LATE_]user_id`` then ``_<attachment id>_<display name>``); a file
whose ids do not name a file of that student's submission is ignored, and Canvas lists it after
the upload. So each page is named ``<name>_<user id>_<file id>_feedback.html`` with the ids intake
read from Canvas's download (`HandIn.lms_id`, `HandIn.submission_id`); the name part is squashed
to one word so that it can never read as an id. Canvas shows the comment's file under the name of
the student's own file that the id names.

**moodle**: Moodle's "Upload multiple feedback files in a zip" (the assignment's grading action,
with feedback files on) reads every path part as ``<full name>_<participant id>_<plugin type>_
<plugin name>[_<rest>]`` and gives a file that participant did not have yet as a feedback file
(mod/assign/feedback/file/importziplib.php, ``is_valid_filename_for_import``). Each page goes in
a folder named as Moodle's download names a student's files,
``<Full Name>_<participant id>_assignsubmission_file_/feedback.html`` (the trailing ``_`` is what
Moodle before 4.1 wrote and needs; 4.1 and later read both), the participant id being
`HandIn.lms_id` of a Moodle download.

**files**: ``<student>.html`` each, to post or mail as you like.

A student without the ids the LMS needs (graded from plain folders, or from another LMS) gets a
line saying so and no file: a file the LMS cannot place would be ignored, or worse, placed wrong.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.atomic import atomic_write
from grader.course import Course
from grader.errors import UsageError
from grader.grading.final import ClassGrades, load_class
from grader.reports.grades import file_safe
from grader.reports.html import feedback_page
from grader.results import HandIn, StudentResult

SYSTEMS = ("canvas", "moodle", "files")
FEEDBACK_NAME = "feedback.html"
_NOT_WORD = re.compile(r"[\W_]+")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)       # fixed: the same grades give the same zip, byte for byte


@dataclass
class FeedbackExport:
    path: Path
    lms: str
    files: list[tuple[str, str]] = field(default_factory=list)      # (student, name in the folder or zip)
    left_out: list[tuple[str, str]] = field(default_factory=list)   # (student, why no file)


def export_feedback(out: Path, course: Course, to: Path, lms: str = "auto") -> FeedbackExport:
    """Every graded student's feedback page from OUT's gradebook, named for `lms`, written to the
    folder or .zip `to`. UsageError when no student can have a file (nothing to upload)."""
    grades = load_class(out, course)
    system = lms if lms != "auto" else auto_lms(grades)
    if system not in SYSTEMS:
        raise UsageError(f"--lms {lms}: not one of auto, {', '.join(SYSTEMS)}")
    result = FeedbackExport(to, system)
    members: dict[str, str] = {}
    for row in grades.rows:
        name, why = member_name(system, row)
        if name is None:
            result.left_out.append((row.student, why))
            continue
        if name in members:
            result.left_out.append((row.student, f"its file name {name} is another student's too"))
            continue
        members[name] = _page(row, grades)
        result.files.append((row.student, name))
    if not members:
        raise UsageError(f"no student of {out} has what {system} needs to place a file "
                         f"({result.left_out[0][1] if result.left_out else 'the gradebook is empty'}); "
                         "--lms files writes one page per student")
    if to.suffix.lower() == ".zip":
        atomic_write(to, zip_bytes(members))
    else:
        _write_folder(to, members)
    return result


def auto_lms(grades: ClassGrades) -> str:
    """The LMS every hand-in came from (canvas or moodle), else files."""
    systems = {(r.handin or HandIn()).lms for r in grades.rows}
    return systems.pop() if len(systems) == 1 and systems <= {"canvas", "moodle"} else "files"


def member_name(system: str, row: StudentResult) -> tuple[str | None, str]:
    """(the student's file name in the export, "") or (None, why there is none)."""
    handin = row.handin or HandIn()
    if system == "files":
        return f"{file_safe(row.student)}.html", ""
    if handin.lms != system or not handin.lms_id.isdigit():
        came = f"from {handin.lms}" if handin.lms else "not from an LMS download"
        return None, (f"no {system.capitalize()} id: handed in {came}; give the student "
                      f"feedback/{file_safe(row.student)}.html yourself")
    if system == "canvas":
        if not handin.submission_id.isdigit():
            return None, ("no Canvas file id (the number after the user id in Canvas's download names): "
                          f"give the student feedback/{file_safe(row.student)}.html yourself")
        word = _NOT_WORD.sub("", handin.name or row.student).lower()
        word = "student" if not word or word.isdigit() else word
        return f"{word}_{handin.lms_id}_{handin.submission_id}_{FEEDBACK_NAME}", ""
    full_name = " ".join((handin.name or row.student).replace("_", " ").replace("/", " ").split()) or "Participant"
    return f"{full_name}_{handin.lms_id}_assignsubmission_file_/{FEEDBACK_NAME}", ""


def _page(row: StudentResult, grades: ClassGrades) -> str:
    page = feedback_page(row, grades.exercise_ids, grades.course)
    assert page is not None        # rendered, never "current on disk": no folder was given
    return page


def zip_bytes(members: dict[str, str]) -> bytes:
    """A zip of `members` (name -> text) in name order, every date the same."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, members[name].encode("utf-8"))
    return buffer.getvalue()


def _write_folder(to: Path, members: dict[str, str]) -> None:
    if to.exists() and (not to.is_dir() or any(to.iterdir())):
        raise UsageError(f"--to {to}: {'not a folder' if not to.is_dir() else 'not empty'}; give a new folder "
                         "or a .zip (an LMS would take any file left there as feedback too)")
    for name, text in members.items():
        atomic_write(to / name, text)


__all__ = ["export_feedback", "auto_lms", "member_name", "zip_bytes", "FeedbackExport", "SYSTEMS"]
