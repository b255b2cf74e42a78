"""`grader pack`: the hand-in zip grades as submitted, carries a manifest, refuses huge files."""

from __future__ import annotations

import csv
import hashlib
import json
import re
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
    assert "pack.py" in ENGINE_FILES and "grading/sources.py" in ENGINE_FILES
    engine = Path(__file__).resolve().parents[2] / "grader"
    source = (engine / "pack.py").read_text()
    # the release has no click, rich, reports or grading package but its sources module (the
    # grader's own reading of a notebook): pack must not need more
    for name in ("import click", "from rich", "from grader.reports"):
        assert name not in source
    assert set(re.findall(r"from (grader\.grading\S*) import", source)) == {"grader.grading.sources"}
    assert set(re.findall(r"^from (grader\S*) import", (engine / "grading" / "sources.py").read_text(), re.M)) == \
        {"grader.errors"}


def _notebook(code: str) -> str:
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Basics"), nbformat.v4.new_code_cell("!pip install torchgrade"),
                nbformat.v4.new_code_cell(code),
                nbformat.v4.new_code_cell('from grader.notebook import check\ncheck("ch1.basics")')]
    return nbformat.writes(nb)


def test_untouched_means_every_asked_function_still_raises(tiny_course: Path, kit) -> None:
    from grader.pack import untouched
    stub = (tiny_course / "exercises" / "ch1" / "basics.py").read_text()
    assert untouched(stub, ("add", "scale"))
    assert not untouched(kit.SOLUTION, ("add", "scale"))
    half = stub.replace("raise NotImplementedError", "return a + b", 1)
    assert not untouched(half, ("add", "scale"))                # one done is work to hand in
    assert not untouched("def add(:", ("add",)) and not untouched(stub, ("missing",))
    cls = "class Net:\n    def forward(self, x):\n        raise NotImplementedError('your code')\n"
    assert untouched(cls, ("Net",)) and not untouched(cls.replace("raise NotImplementedError('your code')",
                                                                   "return x"), ("Net",))


def test_pack_takes_the_file_worked_in_and_checks_what_it_zipped(tiny_course: Path, tmp_path: Path, kit) -> None:
    import os
    ch1 = tiny_course / "exercises" / "ch1"
    # the .py is still the stub, the notebook holds the work: the notebook is handed in
    (ch1 / "basics.ipynb").write_text(_notebook(kit.SOLUTION))
    proc = _pack(tiny_course, "--out", str(tmp_path / "a.zip"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ch1.basics: exercises/ch1/basics.ipynb (the notebook: exercises/ch1/basics.py is still the stub)" \
        in proc.stdout
    assert "ch1.basics: 1/1 visible points" in proc.stdout and "untouched" not in proc.stdout
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        assert sorted(zf.namelist()) == ["ch1/basics.ipynb", "manifest.json"]
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["taken"] == {"ch1.basics": "ch1/basics.ipynb"} and manifest["untouched"] == []
    # both worked in: the newer one; a wrong answer shows in the points before it is handed in
    (ch1 / "basics.py").write_text(kit.WRONG)
    os.utime(ch1 / "basics.ipynb", (1_700_000_000, 1_700_000_000))   # older than the .py
    proc = _pack(tiny_course, "--out", str(tmp_path / "b.zip"))
    assert "ch1.basics: exercises/ch1/basics.py (both were worked in; took the newer, basics.py)" in proc.stdout
    assert "ch1.basics: 0/1 visible points" in proc.stdout
    # nothing done anywhere: said, and no checks run for it
    (ch1 / "basics.ipynb").unlink()
    (ch1 / "basics.py").write_text(kit.SOLUTION.replace("return a + b", "raise NotImplementedError")
                                   .replace("return x * factor", "raise NotImplementedError"))
    proc = _pack(tiny_course, "--out", str(tmp_path / "c.zip"))
    assert proc.returncode == 0 and "still untouched stubs (they score 0): ch1.basics" in proc.stdout
    assert "visible points" not in proc.stdout


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