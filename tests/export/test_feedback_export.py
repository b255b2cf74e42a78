"""`grader feedback export`: every student's feedback page, named so that the LMS attaches it to
that student. The downloads are named as each LMS names them, and the exported names are read
back by each LMS's own rule:

Canvas: lib/content_zipper.rb names a download's files `<sortable name, squashed>[_LATE]_<user id>
_<attachment id>_<file>`; app/models/assignment.rb's `infer_comment_context_from_filename` reads
an uploaded file's first two all-digit parts (split at `_`) as the user id and the id of a file
of that user's submission, and ignores the file unless that file is one of the submission's.

Moodle: mod/assign's downloader names a student's folder `<Full Name>_<participant id>
_assignsubmission_file` (`_` in the name made a space); mod/assign/feedback/file/importziplib.php
splits every path part at `_` (at most 5 parts) and needs a numeric participant id it knows and a
plugin type/name pair that exists (4.1 and later); before 4.1 it split the whole path and needed
all five parts.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course import load_course
from grader.grading.gradebook import Gradebook
from grader.reports.outputs import refresh
from grader.results import CheckResult, ExerciseResult, HandIn, StudentResult

ROOT = Path(__file__).resolve().parents[2]
ON_TIME, LATE = "2030-01-15T10:00:00+00:00", "2030-01-16T22:00:00+00:00"      # hw1 is due 2030-01-15T22:59Z


# ---------------------------------------------------------------------------- Canvas

_ATTACHMENT_UNSAFE = re.compile(r'[\x00/\\:*?"<>|]+')


def canvas_download_name(sortable_name: str, user_id: int, attachment_id: int, display_name: str,
                         late: bool = False) -> str:
    """A file of Canvas's "Download Submissions" zip, as lib/content_zipper.rb names it."""
    users_name = re.sub(r"_(\d+)_", r"\1", sortable_name).lower()                 # sanitize_user_name
    base = re.sub(r"[^\w]", "", "_".join([users_name, *(["LATE"] if late else []), str(user_id)]))  # sanitize_file_name
    return f"{base}_{attachment_id}_{_ATTACHMENT_UNSAFE.sub('_', display_name)}"   # sanitize_attachment_filename


def canvas_reads(filename: str) -> tuple[int, int] | None:
    """(user id, attachment id) Canvas's Re-Upload reads from a file name, None when it reads none."""
    if filename.startswith("._"):
        return None
    parts = filename.split("_")
    ids = [int(p) for p in parts if re.fullmatch(r"\d+", p)][:2]
    if len(ids) < 2 or parts[-1].startswith("link"):
        return None
    return ids[0], ids[1]


# (student id in the gradebook, sortable name, user id, attachment ids of the submission's files, late)
CANVAS = [("bob", "Smith, Bob", 340934, [208490284, 208490285], True),
          ("lane", "Wells, Lane", 334244, [394803489], False),
          ("num", "Doe_2001_, Jo", 330001, [394800001], False)]        # digits in a name never read as an id


def canvas_handins() -> dict[str, HandIn]:
    """What intake reads from each student's downloaded files: the user id and a file's id."""
    found = {}
    for student, name, uid, files, late in CANVAS:
        download = canvas_download_name(name, uid, files[0], "dropout.py", late)
        squashed, *_ = download.split("_")
        found[student] = HandIn(at=LATE if late else ON_TIME, source="times.csv", lms="canvas", lms_id=str(uid),
                                submission_id=str(files[0]), name=squashed, raw_name=download)
    return found


# ---------------------------------------------------------------------------- Moodle

MOODLE_PLUGINS = {("assignsubmission", "file"), ("assignsubmission", "onlinetext"), ("assignfeedback", "file"),
                  ("assignfeedback", "comments"), ("assignfeedback", "editpdf")}
# (student id in the gradebook, full name, participant id)
MOODLE = [("ana", "Ana_Lucía Pérez", 1000001), ("bo", "Bo Li", 1000002)]


def moodle_download_folder(full_name: str, participant_id: int) -> str:
    return f"{full_name.replace('_', ' ')}_{participant_id}_assignsubmission_file"


def moodle_reads(path: str, participants: set[int]) -> int | None:
    """The participant Moodle 4.1+'s feedback zip import gives `path` to (None: ignored)."""
    parts = path.split("/")
    if parts[-1].startswith((".", "~")):
        return None
    for part in parts:
        info = part.split("_", 4)
        if len(info) < 4 or not info[1].isdigit() or int(info[1]) not in participants:
            continue
        if (info[2], info[3]) in MOODLE_PLUGINS:
            return int(info[1])
    return None


def moodle_before_4_1_reads(path: str, participants: set[int]) -> int | None:
    info = ("/" + path).split("_", 4)
    if len(info) < 5 or not info[1].isdigit() or (info[2], info[3]) not in MOODLE_PLUGINS:
        return None
    return int(info[1]) if int(info[1]) in participants else None


# ---------------------------------------------------------------------------- the class

def _entry(ex_id: str, points: float) -> ExerciseResult:
    check = CheckResult(f"{ex_id}::test_all", "test_all", False, "passed" if points == 10 else "failed", points, 10.0,
                        title="everything works", message="" if points == 10 else "3 of 4 entries differ",
                        summary="" if points == 10 else "3 of 4 entries differ")
    return ExerciseResult("graded", float(points), 10.0, source=f"{ex_id.replace('.', '/')}.py", checks=[check])


def _gradebook(out: Path, handins: dict[str, HandIn]) -> Path:
    with Gradebook(out / "gradebook.sqlite") as book:
        for student in handins:
            book.put(StudentResult(student, "folder", student, exercises={
                "ch3.softmax": _entry("ch3.softmax", 10), "ch4.dropout": _entry("ch4.dropout", 4)}))
        book.put_handins(handins)
        book.set_meta("assignment", "hw1")
        if "bob" in handins:
            book.set_override("bob", "ch4.dropout", 8, "the mask was right", "ta")
    refresh(out, load_course(ROOT), report=False)          # grades.csv, as `grader grade` leaves it
    return out


def _cli(*args: str | Path):
    return CliRunner().invoke(main, ["--course", str(ROOT), *map(str, args)])


@pytest.fixture
def canvas_class(tmp_path: Path) -> Path:
    handins = canvas_handins()
    handins["walkin"] = HandIn(at=ON_TIME, source="times.csv", lms="folders")      # handed in on a USB stick
    return _gradebook(tmp_path / "hw1", handins)


def test_canvas_attaches_each_page_to_its_student(canvas_class: Path, tmp_path: Path) -> None:
    done = _cli("feedback", "export", canvas_class, "--to", tmp_path / "canvas.zip", "--lms", "canvas")
    assert done.exit_code == 0, done.output
    assert "3 student(s) for canvas" in done.output and "Re-Upload Submissions" in done.output
    assert "no file for walkin: no Canvas id" in done.output and "feedback/walkin.html" in done.output
    with zipfile.ZipFile(tmp_path / "canvas.zip") as zf:
        names = zf.namelist()
        pages = {n: zf.read(n).decode() for n in names}
    assert len(names) == 3 and all("/" not in n for n in names)        # loose files, as Canvas's own zip
    submissions = {uid: (student, files) for student, _, uid, files, _ in CANVAS}
    grades = {r["student"]: r for r in csv.DictReader(io.StringIO((canvas_class / "grades.csv").read_text()))}
    placed = {}
    for name in names:
        read = canvas_reads(name)
        assert read is not None, name
        uid, file_id = read
        student, files = submissions[uid]
        assert file_id in files               # Canvas ignores a file whose id is not one of the submission's
        placed[student] = pages[name]
    assert sorted(placed) == ["bob", "lane", "num"]
    assert names == sorted(names) and "smithbob_340934_208490284_feedback.html" in names
    # the page says what grades.csv says: 10 + 8 (set by hand) = 18, late 23 h: -10 % = 16.2
    bob = placed["bob"]
    assert "Final grade: 16.2 / 20 points" in bob and "late penalty -1.8" in bob and "set by hand" in bob
    assert 'class="fail"' in bob and "NOT PASSED" in bob and 'class="pass"' in bob and "report.html" not in bob
    assert (grades["bob"]["total"], grades["bob"]["penalty"], grades["bob"]["by_hand"]) == ("16.2", "1.8", "4")
    # the same gradebook gives the same zip, byte for byte
    again = _cli("feedback", "export", canvas_class, "--to", tmp_path / "again.zip", "--lms", "canvas")
    assert again.exit_code == 0 and (tmp_path / "again.zip").read_bytes() == (tmp_path / "canvas.zip").read_bytes()


def test_moodle_folders_reach_each_participant(tmp_path: Path) -> None:
    handins = {student: HandIn(at=ON_TIME, source="times.csv", lms="moodle", lms_id=str(pid), name=name,
                               raw_name=moodle_download_folder(name, pid)) for student, name, pid in MOODLE}
    out = _gradebook(tmp_path / "hw1", handins)
    done = _cli("feedback", "export", out, "--to", tmp_path / "moodle.zip")       # auto: every hand-in is Moodle's
    assert done.exit_code == 0, done.output
    assert "2 student(s) for moodle" in done.output and "Upload multiple feedback files in a zip" in done.output
    with zipfile.ZipFile(tmp_path / "moodle.zip") as zf:
        names = zf.namelist()
    participants = {pid: student for student, _, pid in MOODLE}
    assert sorted(participants[moodle_reads(n, set(participants))] for n in names) == ["ana", "bo"]
    assert sorted(participants[moodle_before_4_1_reads(n, set(participants))] for n in names) == ["ana", "bo"]
    assert "Ana Lucía Pérez_1000001_assignsubmission_file_/feedback.html" in names       # as Moodle names the folder


def test_students_without_ids_get_a_line_and_nobody_with_ids_is_an_error(canvas_class: Path, tmp_path: Path) -> None:
    done = _cli("feedback", "export", canvas_class, "--to", tmp_path / "moodle.zip", "--lms", "moodle")
    assert done.exit_code == 2 and "no student of" in done.output and "--lms files" in done.output
    assert "Traceback" not in done.output and not (tmp_path / "moodle.zip").exists()
    done = _cli("feedback", "export", canvas_class, "--to", tmp_path / "pages")     # auto: mixed hand-ins, files
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in (tmp_path / "pages").iterdir()) == ["bob.html", "lane.html", "num.html", "walkin.html"]
    done = _cli("feedback", "export", canvas_class, "--to", tmp_path / "pages")     # a folder with files in it
    assert done.exit_code == 2 and "not empty" in done.output


# ---------------------------------------------------------------------------- from the download back

def _grading_helper(file: str):
    """tests/grading's builders (kit.py: a tiny course; lms_downloads.py: downloads as each LMS
    writes them), loaded by path as tests/grading/conftest.py does."""
    spec = importlib.util.spec_from_file_location(f"grading_test_{file[:-3]}", ROOT / "tests" / "grading" / file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_a_canvas_download_graded_and_its_feedback_uploaded_back(tmp_path: Path) -> None:
    kit, lms = _grading_helper("kit.py"), _grading_helper("lms_downloads.py")
    course = kit.make_course(tmp_path / "course")
    students = [lms.CanvasStudent("smithbob", 48213, 90001, files={"basics.py": kit.SOLUTION}),
                lms.CanvasStudent("lovelaceada", 48214, 90002, files={"basics-1.py": kit.WRONG, "notes.txt": "x"},
                                  late=True)]
    download = lms.canvas_zip(tmp_path / "submissions.zip", students)
    out = tmp_path / "out"
    proc = kit.run_grader(course, download, "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    export = subprocess.run([sys.executable, "-m", "grader.cli", "--course", str(course), "feedback", "export",
                             str(out), "--to", str(tmp_path / "feedback.zip")], cwd=ROOT, capture_output=True, text=True)
    assert export.returncode == 0 and "2 student(s) for canvas" in export.stdout, export.stdout + export.stderr
    downloaded = {canvas_reads(name) for name in zipfile.ZipFile(download).namelist()}     # (user, file) pairs
    with zipfile.ZipFile(tmp_path / "feedback.zip") as zf:
        back = {canvas_reads(name): zf.read(name).decode() for name in zf.namelist()}
    assert set(back) <= downloaded and {uid for uid, _ in back} == {48213, 48214}
    grades = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    for (uid, _), page in back.items():
        assert f"Final grade: {grades[str(uid)]['total']} / " in page


def test_a_moodle_download_graded_and_its_feedback_uploaded_back(tmp_path: Path) -> None:
    kit, lms = _grading_helper("kit.py"), _grading_helper("lms_downloads.py")
    course = kit.make_course(tmp_path / "course")
    download = lms.moodle_zip(tmp_path / "DL101-Homework 1-4567.zip", [
        lms.MoodleStudent("Bob Smith", 1234567, files={"basics.py": kit.SOLUTION}),
        lms.MoodleStudent("Zoë Øster", 1234568, files={"ch1/basics.py": kit.WRONG})])
    out = tmp_path / "out"
    proc = kit.run_grader(course, download, "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    export = subprocess.run([sys.executable, "-m", "grader.cli", "--course", str(course), "feedback", "export",
                             str(out), "--to", str(tmp_path / "feedback.zip")], cwd=ROOT, capture_output=True, text=True)
    assert export.returncode == 0 and "2 student(s) for moodle" in export.stdout, export.stdout + export.stderr
    with zipfile.ZipFile(tmp_path / "feedback.zip") as zf:
        names = zf.namelist()
    participants = {1234567, 1234568}
    assert sorted(moodle_reads(n, participants) for n in names) == sorted(participants)
    assert sorted(moodle_before_4_1_reads(n, participants) for n in names) == sorted(participants)
    assert "Zoë Øster_1234568_assignsubmission_file_/feedback.html" in names
