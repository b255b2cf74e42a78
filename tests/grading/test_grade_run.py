"""End-to-end `grader grade` runs over a tiny synthetic course: reports, feedback safety,
resume after kill -9, --student re-grading and input errors."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat


def _kit():
    spec = importlib.util.spec_from_file_location("grading_test_kit", Path(__file__).with_name("kit.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


K = _kit()


def _notebook(*cells: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


LOOPER = K.SOLUTION.replace("def add(a, b):\n", "def add(a, b):\n    while True:\n        pass\n")


def make_class(subs: Path, slow: int = 0, looper: bool = False) -> None:
    K.write(subs / "good" / "ch1" / "basics.py", K.SOLUTION)
    K.write(subs / "good" / "ch2" / "twice.py", K.TWICE)
    K.write(subs / "wrong" / "exercises" / "ch1" / "basics.py", K.WRONG)
    K.write(subs / "nb" / "ch1" / "basics.ipynb",
            _notebook("!pip install nothing\nimport torch", K.SOLUTION,
                      "while True:\n    pass   # a training run that never ends"))
    K.write(subs / "syntax" / "ch1" / "basics.py", "def add(a, b)\n    return a + b\n")
    K.write(subs / "syntax" / "ch2" / "twice.py", K.TWICE)
    K.write(subs / "noimport" / "ch1" / "basics.py", "import no_such_module_xyz\n" + K.SOLUTION)
    subs.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(subs / "zipped.zip", "w") as zf:
        zf.writestr("zipped/ch1/basics.py", K.SOLUTION)
        zf.writestr("zipped/ch2/twice.py", K.TWICE)
    with zipfile.ZipFile(subs / "evil.zip", "w") as zf:
        zf.writestr("../../ch1/basics.py", K.SOLUTION)
    if looper:
        K.write(subs / "looper" / "ch1" / "basics.py", LOOPER)
    for i in range(slow):
        K.write(subs / f"slow{i}" / "ch1" / "basics.py", K.SLOW)


EXPECTED = {"good": (4, 2), "wrong": (1, 0), "nb": (4, 0), "syntax": (0, 2), "noimport": (0, 0),
            "zipped": (4, 2), "evil": (0, 0)}


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def stable_json(path: Path) -> dict:
    """grades.json without what legitimately differs between runs: times and durations."""
    doc = json.loads(path.read_text())
    for key in ("started", "finished", "command", "submissions", "interrupted", "out"):
        doc["metadata"].pop(key, None)
    for student in doc["students"]:
        for entry in student["exercises"].values():
            entry.pop("seconds", None)
            entry.pop("worker", None)
            for check in entry["checks"]:
                check.pop("seconds", None)
    return doc


def test_grades_reports_and_feedback(tiny_course: Path, tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    make_class(subs, looper=True)
    proc = K.run_grader(tiny_course, subs, "--out", out, "--jobs", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "grading" in proc.stdout and "final" in proc.stdout       # progress bar and table

    lines = (out / "grades.csv").read_text().splitlines()
    assert lines[0] == ("student,ch1.basics,ch1.basics status,ch2.twice,ch2.twice status,"
                        "raw,withheld,by_hand,penalty,total,max,submitted_at,time_source,hours_late,lateness,"
                        "needs_a_person")
    rows = read_csv(out / "grades.csv")
    expected = dict(EXPECTED, looper=(1, 0))
    assert sorted(rows) == sorted(expected)
    for student, (basics, twice) in expected.items():
        row = rows[student]
        assert (float(row["ch1.basics"] or 0), float(row["ch2.twice"] or 0)) == (basics, twice), (student, row)
        assert float(row["total"]) == basics + twice and float(row["max"]) == 6

    # a real 0 and "could not be graded" are told apart: an empty cell and a status beside it
    assert rows["syntax"]["ch1.basics"] == "" and rows["syntax"]["ch1.basics status"] == "error: syntax"
    assert rows["wrong"]["ch2.twice status"] == "missing" and rows["good"]["ch1.basics status"] == "graded"
    # a folder's mtimes are when it was extracted: the time is unknown, and says why
    assert rows["good"]["time_source"].startswith("unknown: a folder carries only extraction")
    assert rows["good"]["submitted_at"] == "" and rows["good"]["penalty"] == "0"

    doc = json.loads((out / "grades.json").read_text())
    meta = doc["metadata"]
    assert meta["course"] == {"title": "Tiny course", "version": "0.1"}
    assert meta["torch"] and meta["device"] == "cpu" and meta["sandbox_levels"]
    assert meta["started"] <= meta["finished"]
    students = {s["student"]: s for s in doc["students"]}
    wrong = students["wrong"]["exercises"]["ch1.basics"]
    by_name = {c["name"]: c for c in wrong["checks"]}
    assert set(by_name) == {"test_add_small", "test_add_random", "test_scale"}
    assert by_name["test_scale"]["status"] == "passed" and by_name["test_scale"]["points"] == 1
    assert by_name["test_add_random"]["status"] == "failed" and not by_name["test_add_random"]["visible"]
    for check in wrong["checks"]:
        assert set(check) >= {"status", "points", "max", "message", "seconds", "device"}
    assert students["wrong"]["exercises"]["ch2.twice"]["status"] == "missing"
    noimport = students["noimport"]["exercises"]["ch1.basics"]
    assert {c["status"] for c in noimport["checks"]} == {"error"}
    assert "no_such_module_xyz" in noimport["checks"][0]["message"]
    assert "unsafe path" in students["evil"]["problem"]
    looper = {c["name"]: c for c in students["looper"]["exercises"]["ch1.basics"]["checks"]}
    assert looper["test_add_small"]["status"] == "timeout" and looper["test_add_random"]["status"] == "timeout"
    assert looper["test_add_random"]["seconds"] < 10 and looper["test_scale"]["status"] == "passed"
    nb = students["nb"]["exercises"]["ch1.basics"]
    assert nb["file"] == "ch1/basics.ipynb" and nb["status"] == "graded"

    feedback = (out / "feedback" / "wrong.md").read_text()
    assert "Final grade: 1 / 6" in feedback
    assert "add(2, 3) is 5." in feedback                           # visible check, by its text
    assert "add agrees with the reference on random tensors. (hidden check)" in feedback
    hidden_source = (tiny_course / "solutions" / "ch1" / "test_basics_hidden.py").read_text()
    for secret in ("hidden-secret-7731", "generator=rng", "reference.add", "tensor([",
                   by_name["test_add_random"]["detail"]):
        assert secret and secret not in feedback, secret
    assert "def test_" not in feedback and hidden_source not in feedback
    assert "No file was found" in feedback                        # ch2.twice
    syntax = (out / "feedback" / "syntax.md").read_text()
    assert "syntax error in ch1/basics.py line 1" in syntax and "Final grade: 2 / 6" in syntax
    assert "could not be used" in (out / "feedback" / "evil.md").read_text()
    assert sorted(p.stem for p in (out / "feedback").glob("*.md")) == sorted(expected)
    assert "took too long" in (out / "feedback" / "looper.md").read_text()

    # Running it again grades nobody and rewrites the same reports.
    before = {p.name: p.read_bytes() for p in (out / "feedback").glob("*.md")}
    csv_before = (out / "grades.csv").read_bytes()
    again = K.run_grader(tiny_course, subs, "--out", out)
    assert again.returncode == 0, again.stderr
    assert "graded now: 0" in again.stdout
    assert (out / "grades.csv").read_bytes() == csv_before
    assert {p.name: p.read_bytes() for p in (out / "feedback").glob("*.md")} == before


def _rows(db: Path) -> dict[str, tuple[str, str]]:
    if not db.exists():
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return {s: (r, t) for s, r, t in con.execute("SELECT student, result, graded_at FROM students")}
    except sqlite3.OperationalError:
        return {}
    finally:
        con.close()


SCHEDULER_ONLY = """
import sys
from pathlib import Path
from grader.course import load_course
from grader.grading.scheduler import grade_class
result = grade_class(load_course(Path(sys.argv[1])), Path(sys.argv[2]), Path(sys.argv[3]), jobs=1)
loaded = sorted(m for m in sys.modules if m in ("torch", "grader.checks") or m.startswith("grader.checks."))
print(len(result.graded_now), loaded)
"""


def test_scheduler_process_never_imports_torch_or_checks(tiny_course: Path, tmp_path: Path) -> None:
    # Everything a judge sends back must be plain data: one torch object in a result (say
    # torch.__version__) makes the scheduler import torch while the next student waits.
    subs = tmp_path / "subs"
    K.write(subs / "good" / "ch1" / "basics.py", K.SOLUTION)
    K.write(subs / "good" / "ch2" / "twice.py", K.TWICE)
    proc = subprocess.run([sys.executable, "-c", SCHEDULER_ONLY, str(tiny_course), str(subs), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["1", "[]"], proc.stdout


def test_resume_after_kill_matches_uninterrupted_run(tiny_course: Path, tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    make_class(subs, slow=6)
    total = len(EXPECTED) + 6

    reference = tmp_path / "reference"
    proc = K.run_grader(tiny_course, subs, "--out", reference, "--jobs", "1", "--only", "ch1.basics")
    assert proc.returncode == 0, proc.stderr

    out = tmp_path / "out"
    db = out / "gradebook.sqlite"
    run = subprocess.Popen(K.grader_cmd(tiny_course, subs, "--out", out, "--jobs", "1", "--only", "ch1.basics"),
                           cwd=K.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while len(_rows(db)) < 3 and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.05)
        os.killpg(run.pid, signal.SIGKILL)           # kill -9 the whole run, judges included
    finally:
        run.wait(30)
    done = _rows(db)
    assert 3 <= len(done) < total, f"the run was not interrupted mid-way ({len(done)} of {total})"
    assert not (out / "grades.csv").exists()

    resumed = K.run_grader(tiny_course, subs, "--out", out, "--jobs", "1", "--only", "ch1.basics")
    assert resumed.returncode == 0, resumed.stderr
    assert f"graded now: {total - len(done)}, already in the gradebook: {len(done)}" in resumed.stdout
    after = _rows(db)
    assert len(after) == total
    for student, (result, graded_at) in done.items():
        assert after[student] == (result, graded_at), f"{student} was graded again"

    assert (out / "grades.csv").read_bytes() == (reference / "grades.csv").read_bytes()
    for md in (reference / "feedback").glob("*.md"):
        assert (out / "feedback" / md.name).read_bytes() == md.read_bytes(), md.name
    assert stable_json(out / "grades.json") == stable_json(reference / "grades.json")
    assert float(read_csv(out / "grades.csv")["slow3"]["total"]) == 4


def test_student_regrade_replaces_one_row(tiny_course: Path, tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    K.write(subs / "good" / "ch1" / "basics.py", K.SOLUTION)
    K.write(subs / "wrong" / "ch1" / "basics.py", K.WRONG)
    K.write(subs / "other" / "ch1" / "basics.py", K.WRONG)
    first = K.run_grader(tiny_course, subs, "--out", out, "--only", "ch1.basics")
    assert first.returncode == 0, first.stderr
    before = _rows(out / "gradebook.sqlite")
    assert float(read_csv(out / "grades.csv")["wrong"]["total"]) == 1

    K.write(subs / "wrong" / "ch1" / "basics.py", K.SOLUTION)     # a corrected resubmission
    K.write(subs / "other" / "ch1" / "basics.py", K.SOLUTION)     # changed, but not asked for
    time.sleep(1.1)                                               # graded_at has 1 s resolution
    again = K.run_grader(tiny_course, subs, "--out", out, "--only", "ch1.basics", "--student", "wrong")
    assert again.returncode == 0, again.stderr
    assert "graded now: 1" in again.stdout
    after = _rows(out / "gradebook.sqlite")
    assert after["good"] == before["good"] and after["other"] == before["other"]
    assert after["wrong"] != before["wrong"]
    grades = read_csv(out / "grades.csv")
    assert float(grades["wrong"]["total"]) == 4 and float(grades["other"]["total"]) == 1
    assert "Final grade: 4 / 4" in (out / "feedback" / "wrong.md").read_text()


def test_bad_input_is_one_line(tiny_course: Path, tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    K.write(subs / "good" / "ch1" / "basics.py", K.SOLUTION)
    cases = [((tmp_path / "nope", "--out", tmp_path / "o"), "does not exist"),
             ((subs, "--out", tmp_path / "o", "--only", "ch9.nothing"), "unknown exercise 'ch9.nothing'"),
             ((subs, "--out", tmp_path / "o", "--student", "ghost"), "--student 'ghost'"),
             (("--out", tmp_path / "o", "--nbgrader", tmp_path, "--assignment", "ch1"), "no submitted/ folder"),
             ((subs, "--out", tmp_path / "o", "--nbgrader", subs), "needs --assignment"),
             ((subs / "good" / "ch1", "--out", tmp_path / "o"), "no hand-ins in a layout the grader knows")]
    for args, words in cases:
        proc = K.run_grader(tiny_course, *args, timeout=60)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        err = proc.stderr.strip()
        assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err, err


def test_nbgrader_course_folder(tiny_course: Path, tmp_path: Path) -> None:
    nbcourse = tmp_path / "nbcourse"
    K.write(nbcourse / "submitted" / "s1" / "ch1" / "basics.ipynb", _notebook(K.SOLUTION))
    K.write(nbcourse / "submitted" / "s2" / "ch1" / "basics.ipynb", _notebook(K.WRONG))
    out = tmp_path / "out"
    proc = K.run_grader(tiny_course, "--out", out, "--nbgrader", nbcourse, "--assignment", "ch1")
    assert proc.returncode == 0, proc.stderr
    rows = read_csv(out / "grades.csv")
    assert [(s, r["ch1.basics"], r["total"], r["max"]) for s, r in rows.items()] == [
        ("s1", "4", "4", "4"), ("s2", "1", "1", "4")]


def test_ctrl_c_stops_cleanly_and_resumes(tiny_course: Path, tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    for i in range(8):
        K.write(subs / f"slow{i}" / "ch1" / "basics.py", K.SLOW)
    run = subprocess.Popen(K.grader_cmd(tiny_course, subs, "--out", out, "--jobs", "1", "--only", "ch1.basics"),
                           cwd=K.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           start_new_session=True)
    deadline = time.monotonic() + 180
    while len(_rows(out / "gradebook.sqlite")) < 2 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGINT)                 # Ctrl-C reaches the whole process group
    output, _ = run.communicate(timeout=60)
    assert run.returncode == 130, output
    assert "run the same command again" in output and "Traceback" not in output
    done = len(_rows(out / "gradebook.sqlite"))
    assert 2 <= done < 8
    assert len(read_csv(out / "grades.csv")) == done       # partial reports of who is done
    resumed = K.run_grader(tiny_course, subs, "--out", out, "--jobs", "1", "--only", "ch1.basics")
    assert resumed.returncode == 0, resumed.stderr
    assert f"graded now: {8 - done}" in resumed.stdout
    assert [float(r["total"]) for r in read_csv(out / "grades.csv").values()] == [4.0] * 8


def test_a_visible_and_a_hidden_check_may_not_share_a_name(tiny_course, kit):
    """A check id names one check everywhere (gradebook, grades.json, class report): a hidden
    check named like a visible one is the author's error, not two rows merged into one."""
    import pytest

    from grader.checks.runner import collect_checks
    from grader.course import CourseError, load_course
    hidden = tiny_course / "solutions/ch1/test_basics_hidden.py"
    hidden.write_text(hidden.read_text() + "\n\n@check(points=1)\ndef test_add_small(student):\n    pass\n")
    with pytest.raises(CourseError, match="test_add_small is also a check in .*test_basics.py"):
        collect_checks(load_course(tiny_course), "ch1.basics")
