"""Assignments: course.toml schema, hand-in times, late penalties, extensions and overrides."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.course import CourseError, load_course
from grader.grading.lateness import late_share

ASSIGNMENT = """
[assignments.hw1]
title = "Adding"
exercises = ["ch1.basics"]
points = 8
due = 2030-01-15T23:59:00+01:00
late_policy = { per_day = 0.1, max_penalty = 0.3, cutoff = 120 }
extensions = { "José" = 2030-01-20T23:59:00+01:00 }
"""


@pytest.fixture
def course_root(tiny_course: Path) -> Path:
    toml = tiny_course / "course.toml"
    toml.write_text(toml.read_text() + ASSIGNMENT)
    return tiny_course


def _with(root: Path, old: str, new: str) -> None:
    toml = root / "course.toml"
    toml.write_text(toml.read_text().replace(old, new, 1))


def test_assignment_is_read(course_root: Path) -> None:
    a = load_course(course_root).assignments["hw1"]
    assert a.exercises == ("ch1.basics",) and a.points == 8
    assert a.late_policy.per_day == 0.1 and a.late_policy.cutoff == 120
    assert "José" in a.extensions and a.due.utcoffset().total_seconds() == 3600


@pytest.mark.parametrize("old,new,message", [
    ("points = 8", "pionts = 8", "assignments.hw1.pionts: unknown key (did you mean 'points'?)"),
    ("due = 2030-01-15T23:59:00+01:00", "due = 2030-01-15T23:59:00", "assignments.hw1.due needs a time zone"),
    ("per_day = 0.1", "per_dya = 0.1", "assignments.hw1.late_policy.per_dya: unknown key"),
    ("per_day = 0.1", "per_day = 10", "assignments.hw1.late_policy.per_day must be a share"),
    ('exercises = ["ch1.basics"]', 'exercises = ["ch1.basic"]',
     "assignments.hw1.exercises: no exercise 'ch1.basic' in course.toml (did you mean 'ch1.basics'?)"),
    ('exercises = ["ch1.basics"]', 'chapters = ["ch3"]', "assignments.hw1.chapters: no chapter 'ch3'"),
    ("due = 2030-01-15T23:59:00+01:00\n", "", "assignments.hw1.due is missing"),
])
def test_bad_assignment_is_one_line_naming_the_key(course_root: Path, old: str, new: str, message: str) -> None:
    _with(course_root, old, new)
    with pytest.raises(CourseError) as err:
        load_course(course_root)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_whole_chapters_and_the_chapter_fallback(course_root: Path) -> None:
    _with(course_root, 'exercises = ["ch1.basics"]', 'chapters = ["ch2"]')
    course = load_course(course_root)
    assert course.select(assignment="hw1") == ["ch2.twice"]
    assert course.select(assignment="ch1") == ["ch1.basics"]     # a chapter, as before
    with pytest.raises(CourseError, match="neither an assignment"):
        course.select(assignment="hw9")


def test_a_time_inside_the_hand_in_decides_nothing(course_root: Path, tmp_path: Path) -> None:
    """A student's own submission_metadata.json, timestamp.txt, member dates or file mtimes are
    what the student wrote: the time stays unknown (and says why) unless the instructor gives it."""
    from grader.grading.intake import collect
    course = load_course(course_root)
    subs = tmp_path / "subs"
    (subs / "a" / "ch1").mkdir(parents=True)
    (subs / "a" / "ch1" / "basics.py").write_text("x = 1\n")
    os.utime(subs / "a" / "ch1" / "basics.py", (1_900_000_000, 1_900_000_000))
    (subs / "a" / "timestamp.txt").write_text("2030-01-16 10:00:00.123 UTC\n")
    (subs / "a" / "submission_metadata.json").write_text(json.dumps({"created_at": "2030-01-01T01:00:00-08:00"}))
    with zipfile.ZipFile(subs / "z.zip", "w") as zf:
        zf.writestr("z/timestamp.txt", "2030-01-01T00:00:00Z")
        zf.writestr(zipfile.ZipInfo("z/ch1/basics.py", date_time=(1980, 0, 0, 0, 0, 0)), "x = 1\n")
    found = {s.student: s.handin for s in collect(course, subs, [course.exercises["ch1.basics"]]).submissions}
    assert found["a"].at == "" and found["a"].source.startswith("unknown: a folder carries only extraction")
    assert found["z"].at == "" and found["z"].source.startswith("unknown: give --times")
    times = tmp_path / "times.csv"
    times.write_text("id,submitted_at\na,2030-01-16 10:00\nz,2030-01-17T00:00:00Z\n")
    found = {s.student: s.handin for s in collect(course, subs, [course.exercises["ch1.basics"]], times=times,
                                                   tz=course.assignments["hw1"].due.tzinfo).submissions}
    assert found["a"].at == "2030-01-16T09:00:00+00:00" and found["a"].source == "times.csv line 2 (no time zone: read as UTC+01:00)"
    assert found["z"].at == "2030-01-17T00:00:00+00:00" and found["z"].source == "times.csv line 3"


def test_late_share_per_day_cap_cutoff_and_extension(course_root: Path) -> None:
    a = load_course(course_root).assignments["hw1"]      # due 22:59 UTC on the 15th
    assert late_share(a, "x", "2030-01-15T22:00:00+00:00") == (0.0, 0.0)
    hours, share = late_share(a, "x", "2030-01-16T10:59:00+00:00")      # 12 h: one started day
    assert hours == 12 and share == pytest.approx(0.1)
    assert late_share(a, "x", "2030-01-18T00:00:00+00:00")[1] == pytest.approx(0.3)   # capped
    assert late_share(a, "x", "2030-01-21T00:00:00+00:00")[1] == 1.0                  # past the cutoff
    assert late_share(a, "José", "2030-01-18T00:00:00+00:00") == (0.0, 0.0)           # extension
    assert late_share(a, "x", "") == (0.0, 0.0)


def _override(course: Path, *args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader.cli", "--course", str(course), "override",
                           *map(str, args)], capture_output=True, text=True, timeout=120)


def _csv(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def test_assignment_run_penalty_extension_and_override(course_root: Path, tmp_path: Path, kit) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    times = tmp_path / "times.csv"
    times.write_text("id,submitted_at\n")
    for name, stamp in (("early", "2030-01-15 12:00:00 UTC"), ("late", "2030-01-17 12:00:00 UTC"),
                        ("José", "2030-01-17 12:00:00 UTC")):
        kit.write(subs / name / "ch1" / "basics.py", kit.SOLUTION)
        with open(times, "a", encoding="utf-8") as fh:
            fh.write(f"{name},{stamp}\n")
    proc = kit.run_grader(course_root, subs, "--out", out, "--assignment", "hw1", "--times", times)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _csv(out / "hw1" / "grades.csv")
    assert set(rows["late"]) >= {"ch1.basics", "ch1.basics status", "raw", "penalty", "total"}
    assert "ch2.twice" not in rows["late"]                       # the assignment's exercises only
    assert (rows["early"]["raw"], rows["early"]["penalty"], rows["early"]["total"]) == ("8", "0", "8")
    assert (rows["late"]["raw"], rows["late"]["penalty"], rows["late"]["total"]) == ("8", "1.6", "6.4")
    assert rows["José"]["penalty"] == "0" and rows["late"]["time_source"] == "times.csv line 3"
    assert (out / "hw1" / "feedback" / "José.md").is_file()      # Unicode kept in the file name
    feedback = (out / "hw1" / "feedback" / "late.md").read_text()
    assert "Final grade: 6.4 / 8 points" in feedback and "late penalty -1.6" in feedback

    proc = _override(course_root, "late", "ch1.basics", "3", "--reason", "copied",
                     "--out", out, "--assignment", "hw1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # kept across a re-grade, and shown in the CSV, the JSON and the feedback
    proc = kit.run_grader(course_root, subs, "--out", out, "--assignment", "hw1", "--times", times)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _csv(out / "hw1" / "grades.csv")
    assert rows["late"]["ch1.basics"] == "3" and rows["late"]["ch1.basics status"] == "override"
    assert (rows["late"]["raw"], rows["late"]["by_hand"], rows["late"]["total"]) == ("8", "-2", "4.8")
    doc = json.loads((out / "hw1" / "grades.json").read_text())
    late = next(s for s in doc["students"] if s["student"] == "late")
    o = late["exercises"]["ch1.basics"]["override"]
    assert o["reason"] == "copied" and o["original"] == 4 and o["by"] and o["at"]
    assert late["grade"]["penalty"] == pytest.approx(1.2)
    assert ": copied (the checks gave 4)" in (out / "hw1" / "feedback" / "late.md").read_text()
    bad = _override(course_root, "late", "ch1.basics", "99", "--reason", "x",
                    "--out", out, "--assignment", "hw1")
    assert bad.returncode != 0 and "between 0 and 4" in bad.stderr


def test_a_failing_notebook_cell_is_skipped_and_named(tiny_course: Path, tmp_path: Path, kit) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from google.colab import drive\nimport torch"),
                nbformat.v4.new_code_cell("def typo(:\n    pass"),
                nbformat.v4.new_code_cell(kit.SOLUTION)]
    subs, out = tmp_path / "subs", tmp_path / "out"
    kit.write(subs / "nb" / "ch1" / "basics.ipynb", nbformat.writes(nb))
    proc = kit.run_grader(tiny_course, subs, "--out", out, "--only", "ch1.basics")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _csv(out / "grades.csv")["nb"]["ch1.basics"] == "4"      # the other cells' points
    feedback = (out / "feedback" / "nb.md").read_text()
    assert "ch1/basics.ipynb code cell 1 failed (ModuleNotFoundError" in feedback
    assert "syntax error in ch1/basics.ipynb (code cell 2) line 1" in feedback
