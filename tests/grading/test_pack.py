"""`grader pack`: the hand-in zip grades as submitted, carries a manifest, refuses huge files."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from grader.export.release import ENGINE_FILES


def _pack(course: Path, *args: str) -> subprocess.CompletedProcess:
    # the module entry point: what the student release's `grader` script calls
    return subprocess.run([sys.executable, "-m", "grader.pack", "--course", str(course), *args],
                          capture_output=True, text=True, timeout=120)


def test_pack_output_grades_as_submitted(tiny_course: Path, tmp_path: Path, kit) -> None:
    (tiny_course / "exercises" / "ch1" / "basics.py").write_text(kit.SOLUTION)
    subs = tmp_path / "subs"
    subs.mkdir()
    proc = _pack(tiny_course, "--out", str(subs / "ada.zip"))
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(subs / "ada.zip") as zf:
        assert sorted(zf.namelist()) == ["ch1/basics.py", "manifest.json"]
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["exercises"] == ["ch1.basics"] and manifest["packed_at"]
        assert manifest["files"]["ch1/basics.py"] == hashlib.sha256(kit.SOLUTION.encode()).hexdigest()
    out = tmp_path / "out"
    proc = kit.run_grader(tiny_course, subs, "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out / "grades.csv", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["student"] == "ada" and row["ch1.basics"] == "4" and row["ch2.twice status"] == "missing"


def test_pack_refuses_a_file_over_the_limit(tiny_course: Path, tmp_path: Path) -> None:
    (tiny_course / "exercises" / "ch1" / "basics.py").write_text("x = 1\n" * 500_000)
    proc = _pack(tiny_course, "--out", str(tmp_path / "h.zip"))
    assert proc.returncode == 2 and "over the grader's limit of 2 MiB" in proc.stderr
    assert proc.stderr.count("\n") == 1 and not (tmp_path / "h.zip").exists()


def test_pack_ships_in_the_release() -> None:
    assert "pack.py" in ENGINE_FILES
    source = (Path(__file__).resolve().parents[2] / "grader" / "pack.py").read_text()
    # the release has no click, rich or grading package: pack must not need them
    for name in ("import click", "from rich", "from grader.grading", "from grader.reports"):
        assert name not in source


def test_hand_in_warnings(tiny_course: Path, tmp_path: Path, kit) -> None:
    from grader.course import load_course
    from grader.grading.intake import collect

    course = load_course(tiny_course)
    exercises = list(course.exercises.values())
    subs = tmp_path / "subs"
    kit.write(subs / "alice" / "ch1" / "basics.py", kit.SOLUTION)
    kit.write(subs / "bob" / "ch1" / "basics.py", kit.SOLUTION)
    with zipfile.ZipFile(subs / "alice.zip", "w") as zf:
        zf.writestr("ch1/basics.py", kit.SOLUTION)
    intake = collect(course, subs, exercises)
    text = "\n".join(intake.warnings)
    assert "no student handed in ch2.twice" in text
    assert "looks like one student" not in text
    # a folder and a zip of one name are one student twice: both refused, each naming the other
    alice = {s.student: s for s in intake.submissions}
    assert set(alice) == {"alice", "alice.zip", "bob"}
    for sid in ("alice", "alice.zip"):
        assert "'alice'" in alice[sid].problem and "'alice.zip'" in alice[sid].problem
        assert "one student id ('alice')" in alice[sid].problem
    assert not alice["bob"].problem
    one = subs / "alice"
    text = "\n".join(collect(course, one, exercises).warnings)
    assert "holds ch1/ itself: it looks like one student's submission" in text