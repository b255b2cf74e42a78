"""Each LMS's bulk download, graded as it comes: Canvas, Moodle, Gradescope, GitHub Classroom, as
their zip and as the folder it extracts to; who is who, which file is which exercise, and the
hand-in time only from the collection system (tests/grading/lms_downloads.py builds them)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from grader.course import load_course
from grader.grading.downloads import DownloadError
from grader.grading.intake import IntakeError, collect

EX = "ch1.basics"


@pytest.fixture
def course(tiny_course: Path):
    return load_course(tiny_course)


def _collect(course, root: Path, **kw):
    intake = collect(course, root, list(course.exercises.values()), **kw)
    return intake, {s.student: s for s in intake.submissions}


def _grades(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def _canvas(lms, kit, path: Path) -> Path:
    return lms.canvas_zip(path, [
        lms.CanvasStudent("smithbob", 48213, 90001, files={"basics.py": kit.SOLUTION}),
        # re-uploaded: Canvas keeps the last upload as basics-1.py (the first is not in the download)
        lms.CanvasStudent("lovelaceada", 48214, 90002, files={"basics-1.py": kit.SOLUTION,
                                                               "notes.txt": "my notes"}, late=True),
        # a zip among loose files, with the course's layout inside
        lms.CanvasStudent("hoppergrace", 48215, 90003, zips={"handin.zip": {"handin/ch1/basics.py": kit.WRONG,
                                                                             "handin/ch2/twice.py": kit.TWICE}}),
    ], extra={"README_from_TA.txt": "not a hand-in"})


def test_canvas_download_as_zip_and_as_folder(course, lms, kit, tmp_path: Path) -> None:
    download = _canvas(lms, kit, tmp_path / "submissions.zip")
    for root in (download, lms.extract(download, tmp_path / "extracted")):
        intake, found = _collect(course, root)
        assert intake.layout == "canvas" and sorted(found) == ["48213", "48214", "48215"]
        bob, ada, grace = found["48213"], found["48214"], found["48215"]
        assert (bob.handin.lms, bob.handin.lms_id, bob.handin.name) == ("canvas", "48213", "smithbob")
        assert bob.exercises[EX].status == "ok" and bob.exercises["ch2.twice"].status == "missing"
        assert any("found by its file name" in n for n in bob.exercises[EX].notes)
        # Canvas's LATE marker gives no time: late, with the time left unknown
        assert ada.handin.late is True and ada.handin.at == "" and "LATE" in ada.handin.source
        assert bob.handin.late is False and bob.handin.at == ""
        assert ada.exercises[EX].status == "ok" and ada.exercises[EX].source == "basics-1.py"
        assert grace.exercises[EX].status == "ok" and grace.exercises["ch2.twice"].status == "ok"
        assert grace.exercises[EX].files["basics.py"] == kit.WRONG.encode()
        assert any("README_from_TA.txt" in w for w in intake.warnings)


def test_canvas_download_graded_end_to_end_with_its_gradebook_as_roster_and_api_times(
        tiny_course: Path, lms, kit, tmp_path: Path) -> None:
    download = _canvas(lms, kit, tmp_path / "submissions.zip")
    roster = tmp_path / "gradebook.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 (1234)\n"
                      "    Points Possible,,,,,6\n"
                      "\"Smith, Bob\",48213,S100,bsmith,Section 1,\n"
                      "\"Lovelace, Ada\",48214,S101,alovelace,Section 1,\n"
                      "\"Hopper, Grace\",48215,S102,ghopper,Section 2,\n"
                      "\"Absent, Al\",48216,S103,aabsent,Section 2,\n", encoding="utf-8")
    times = tmp_path / "canvas_times.csv"          # Canvas's submissions API: user_id, submitted_at
    times.write_text("user_id,submitted_at\n48213,2030-01-15T10:00:00Z\n48214,2030-01-17T09:00:00Z\n")
    out = tmp_path / "out"
    proc = kit.run_grader(tiny_course, download, "--out", out, "--roster", roster, "--times", times)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "48216: on the roster (Absent, Al), handed in nothing" in proc.stdout
    rows = _grades(out)
    assert sorted(rows) == ["48213", "48214", "48215"]
    assert rows["48213"]["ch1.basics"] == "4" and rows["48214"]["ch1.basics"] == "4"
    assert rows["48215"]["ch1.basics"] == "1" and rows["48215"]["ch2.twice"] == "2"
    assert rows["48214"]["submitted_at"] == "2030-01-17T09:00:00+00:00"
    assert rows["48214"]["time_source"] == "canvas_times.csv line 3"
    doc = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    grace = next(s for s in doc["students"] if s["student"] == "48215")["handin"]
    assert (grace["lms"], grace["lms_id"], grace["name"], grace["section"]) == ("canvas", "48215", "Hopper, Grace",
                                                                               "Section 2")
    # ... and back to Canvas: its own gradebook export as the roster, as it is (students keyed by
    # Canvas's user id, its ID column), one column with the final grade
    proc = kit.run_export(tiny_course, "canvas", out, "--to", tmp_path / "import.csv", "--roster", roster)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = _csv_rows(tmp_path / "import.csv")
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "torchgrade"]
    finals = {r["student"]: r["total"] for r in rows.values()}
    assert table[2] == ["Smith, Bob", "48213", "S100", "bsmith", "Section 1", finals["48213"]]
    assert table[3][:5] == ["Lovelace, Ada", "48214", "S101", "alovelace", "Section 1"]
    assert table[3][5] == finals["48214"]
    assert "in the roster but not graded (1): aabsent" in proc.stdout


def _moodle(lms, kit, path: Path, in_folders: bool) -> Path:
    return lms.moodle_zip(path, [
        lms.MoodleStudent("Bob Smith", 1234567, files={"basics.py": kit.SOLUTION}, online_text="<p>done</p>"),
        lms.MoodleStudent("Zoë Øster", 1234568, files={"work/ch1/basics.ipynb": _notebook(kit.SOLUTION),
                                                       "work/ch2/twice.py": kit.TWICE}),
    ], in_folders=in_folders)


def _notebook(code: str) -> str:
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    return nbformat.writes(nb)


@pytest.mark.parametrize("in_folders", [True, False])
def test_moodle_download_in_folders_and_as_files(course, lms, kit, tmp_path: Path, in_folders: bool) -> None:
    download = _moodle(lms, kit, tmp_path / "DL101-Homework 1-4567.zip", in_folders)
    for root in (download, lms.extract(download, tmp_path / "extracted")):
        intake, found = _collect(course, root)
        assert intake.layout == "moodle" and sorted(found) == ["1234567", "1234568"]
        bob, zoe = found["1234567"], found["1234568"]
        assert bob.handin.name == "Bob Smith" and zoe.handin.name == "Zoë Øster"
        assert bob.exercises[EX].status == "ok" and zoe.exercises[EX].status == "ok"
        assert zoe.exercises[EX].source.endswith("basics.ipynb") and zoe.exercises["ch2.twice"].status == "ok"
        assert bob.handin.at == "" and bob.handin.source.startswith("unknown: Moodle's download gives no time")


def test_moodle_download_end_to_end_with_its_gradebook_and_worksheet_times(
        tiny_course: Path, lms, kit, tmp_path: Path) -> None:
    download = _moodle(lms, kit, tmp_path / "DL101-Homework 1-4567.zip", True)
    roster = tmp_path / "grades.csv"
    roster.write_text("First name,Last name,ID number,Institution,Department,Email address,"
                      "Assignment: Homework 1 (Real),Last downloaded from this course\n"
                      "Bob,Smith,S100,Uni,Physics,bob.smith@uni.example,-,1767225600\n"
                      "Zoë,Øster,S101,Uni,Physics,zoe@uni.example,-,1767225600\n", encoding="utf-8")
    # Moodle's grading worksheet as the times: "Participant <id>" and the submission's last change
    times = tmp_path / "worksheet.csv"
    times.write_text("Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
                     "Last modified (submission),Last modified (grade),Feedback comments\n"
                     "Participant 1234567,Bob Smith,bob.smith@uni.example,Submitted for grading,,6.00,Yes,"
                     "\"Tuesday, 15 January 2030, 10:15 AM\",-,\n"
                     "Participant 1234568,Zoë Øster,zoe@uni.example,Submitted for grading,,6.00,Yes,"
                     "\"Thursday, 17 January 2030, 9:00 PM\",-,\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = kit.run_grader(tiny_course, download, "--out", out, "--roster", roster, "--times", times,
                          "--from", "moodle")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _grades(out)
    assert sorted(rows) == ["S100", "S101"]
    assert rows["S100"]["ch1.basics"] == "4" and rows["S101"]["ch1.basics"] == "4" and rows["S101"]["ch2.twice"] == "2"
    assert rows["S101"]["submitted_at"] == "2030-01-17T21:00:00+00:00"
    assert rows["S101"]["time_source"] == "worksheet.csv line 3 (no time zone: read as UTC)"
    # ... and back to Moodle, its own grades export as the roster
    proc = kit.run_export(tiny_course, "moodle", out, "--to", tmp_path / "import.csv", "--roster", roster)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = _csv_rows(tmp_path / "import.csv")
    assert table[0] == ["First name", "Last name", "ID number", "Email address", "torchgrade"]
    assert table[1] == ["Bob", "Smith", "S100", "bob.smith@uni.example", rows["S100"]["total"]]
    assert table[2][:4] == ["Zoë", "Øster", "S101", "zoe@uni.example"]


def _gradescope(lms, kit, path: Path, metadata: str | None = None) -> Path:
    return lms.gradescope_zip(path, [
        lms.GradescopeSubmission(216975964, [("Ada Lovelace", "06758767", "ada@uni.example")],
                                 "2030-01-15 21:30:07.938335000 Z", {"basics.py": kit.SOLUTION},
                                 history=["2030-01-14 08:00:00.000000000 Z"]),
        # a group hand-in: both students, the same files
        lms.GradescopeSubmission(216996427, [("Bob Smith", "06828527", "bob@uni.example"),
                                             ("Grace Hopper", "06488044", "grace@uni.example")],
                                 "2030-01-17 04:04:59.089605000 Z", {"ch1/basics.py": kit.WRONG}),
    ], metadata=metadata)


def test_gradescope_export_times_and_groups_from_its_metadata(course, lms, kit, tmp_path: Path) -> None:
    download = _gradescope(lms, kit, tmp_path / "submissions.zip")
    for root in (download, lms.extract(download, tmp_path / "extracted")):
        intake, found = _collect(course, root)
        assert intake.layout == "gradescope" and sorted(found) == ["06488044", "06758767", "06828527"]
        ada = found["06758767"]
        assert (ada.handin.name, ada.handin.email, ada.handin.at) == ("Ada Lovelace", "ada@uni.example",
                                                                      "2030-01-15T21:30:07+00:00")
        assert "submission_metadata.yml" in ada.handin.source and not ada.handin.problems
        for sid in ("06828527", "06488044"):
            assert found[sid].handin.at == "2030-01-17T04:04:59+00:00"
            assert found[sid].exercises[EX].files["basics.py"] == kit.WRONG.encode()


def test_gradescope_metadata_junk_is_each_students_problem(course, lms, kit, tmp_path: Path) -> None:
    from grader.grading.downloads.gradescope import METADATA
    text = (lms.gradescope_metadata([
        lms.GradescopeSubmission(1, [("Ada", "1", "a@x")], "0001-01-01T00:00:00+01:00", {}),
        lms.GradescopeSubmission(2, [("Bob", "2", "b@x")], "2030-01-15 10:00:00.0 Z", {})])
        .replace(":created_at: 0001-01-01T00:00:00+01:00", ":created_at: 0001-01-01T00:00:00+01:00\n  :x: !ruby/object:BigDecimal 18:0.1e2"))
    download = lms.gradescope_zip(tmp_path / "g.zip", [
        lms.GradescopeSubmission(1, [], "", {"basics.py": kit.SOLUTION}),
        lms.GradescopeSubmission(2, [], "", {"basics.py": kit.SOLUTION}),
        lms.GradescopeSubmission(3, [], "", {"basics.py": kit.SOLUTION})], metadata=text)
    intake, found = _collect(course, download)
    assert "out of range" in found["1"].handin.problems[0] and found["1"].handin.at == ""
    assert found["2"].handin.at == "2030-01-15T10:00:00+00:00"
    assert f"is not in {METADATA}" in found["submission_3"].handin.problems[0]
    assert all(s.exercises[EX].status == "ok" for s in found.values())
    # a metadata file that is not YAML at all: everyone graded, nobody timed, said once
    broken = lms.gradescope_zip(tmp_path / "b.zip", [lms.GradescopeSubmission(1, [], "", {"basics.py": kit.SOLUTION})],
                                metadata=":\n  - [unclosed")
    intake, found = _collect(course, broken)
    assert found["submission_1"].exercises[EX].status == "ok"
    assert any("could not be read" in w for w in intake.warnings)


def test_gradescope_export_end_to_end(tiny_course: Path, lms, kit, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = kit.run_grader(tiny_course, _gradescope(lms, kit, tmp_path / "submissions.zip"), "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _grades(out)
    assert rows["06758767"]["ch1.basics"] == "4" and rows["06828527"]["ch1.basics"] == "1"
    assert rows["06758767"]["submitted_at"] == "2030-01-15T21:30:07+00:00"


def test_github_classroom_clones(course, tiny_course: Path, lms, kit, tmp_path: Path) -> None:
    top = lms.classroom_clones(tmp_path, "hw1", {"octocat": {"exercises/ch1/basics.py": kit.SOLUTION},
                                                 "monalisa": {"ch1/basics.py": kit.WRONG}})
    intake, found = _collect(course, top)
    assert intake.layout == "classroom" and sorted(found) == ["monalisa", "octocat"]
    assert found["octocat"].handin.lms_id == "octocat" and "commit times" in found["octocat"].handin.source
    out = tmp_path / "out"
    proc = kit.run_grader(tiny_course, top, "--out", out, "--only", EX)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {k: r["ch1.basics"] for k, r in _grades(out).items()} == {"octocat": "4", "monalisa": "1"}


# ---------------------------------------------------------------------------- bad input

def test_a_download_in_no_known_layout_is_one_line_naming_expected_and_found(course, tiny_course: Path, kit,
                                                                            tmp_path: Path) -> None:
    odd = tmp_path / "odd"
    for name in ("report.pdf", "marks.xlsx"):
        kit.write(odd / name, "x")
    with pytest.raises(DownloadError) as err:
        _collect(course, odd)
    text = str(err.value)
    assert "\n" not in text and "Canvas" in text and "Moodle" in text and "Gradescope" in text
    assert "found: marks.xlsx, report.pdf" in text
    proc = kit.run_grader(tiny_course, odd, "--out", tmp_path / "out")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "found: marks.xlsx" in proc.stderr
    kit.write(odd / "alice" / "ch1" / "basics.py", kit.SOLUTION)
    with pytest.raises(DownloadError, match=r"--from canvas: .* does not look like Canvas's .*found: alice/"):
        _collect(course, odd, layout="canvas")
    with pytest.raises(IntakeError, match="no such folder or zip"):
        _collect(course, tmp_path / "nowhere")


def test_a_bad_times_row_is_that_students_problem(course, tiny_course: Path, kit, tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    for name in ("ada", "bob", "cy", "dee"):
        kit.write(subs / name / "ch1" / "basics.py", kit.SOLUTION)
    times = tmp_path / "times.csv"
    times.write_text("id,submitted_at\nada,2030-01-15T10:00:00Z\nbob,yesterday\ncy,0001-01-01T00:00:00+01:00\n"
                     "dee,2030-01-15T10:00:00Z\nDEE,2030-01-16T10:00:00Z\nzed,2030-01-15T10:00:00Z\n")
    intake, found = _collect(course, subs, times=times)
    assert found["ada"].handin.at == "2030-01-15T10:00:00+00:00" and not found["ada"].handin.problems
    assert "times.csv line 3: 'yesterday' is not a date-time" in found["bob"].handin.problems[0]
    assert "out of range" in found["cy"].handin.problems[0] and found["cy"].handin.at == ""
    assert "lines 5, 6 all name this student" in found["dee"].handin.problems[0]
    assert any("1 row(s) name no student" in w and "7" in w for w in intake.warnings)
    assert all(s.exercises[EX].status == "ok" and not s.problem for s in found.values())
    out = tmp_path / "out"
    proc = kit.run_grader(tiny_course, subs, "--out", out, "--only", EX, "--times", times)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(_grades(out)) == ["ada", "bob", "cy", "dee"]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,when\nada,now\n")
    with pytest.raises(Exception, match=r"--times .*bad.csv: needs a student column"):
        _collect(course, subs, times=bad)


def test_times_mtime_reads_a_dropped_zips_own_mtime_and_nothing_else(course, kit, tmp_path: Path) -> None:
    import os
    import zipfile
    drop = tmp_path / "dropbox"
    drop.mkdir()
    with zipfile.ZipFile(drop / "ada.zip", "w") as zf:
        zf.writestr("ch1/basics.py", kit.SOLUTION)
    os.utime(drop / "ada.zip", (1_894_000_000, 1_894_000_000))
    kit.write(drop / "bob" / "ch1" / "basics.py", kit.SOLUTION)
    intake, found = _collect(course, drop, times="mtime")
    assert found["ada"].handin.at == "2030-01-07T07:06:40+00:00" and "mtime" in found["ada"].handin.source
    assert found["bob"].handin.at == "" and found["bob"].handin.source.startswith("unknown")   # a folder: never
    intake, found = _collect(course, drop)
    assert found["ada"].handin.at == ""                                                        # not unless asked


def _csv_rows(path: Path) -> list[list[str]]:
    import csv
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))
