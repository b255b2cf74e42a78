"""A rerun with nothing left to grade reads the gradebook and renders: no torch, no check, no
zygote or judge, and the class report (matplotlib) only when what it shows changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# grader's own main, with a look at what the process imported and started when it ends (a
# zygote is a subprocess.Popen; a judge, a spawned multiprocessing process)
PROBE = """
import atexit, json, sys
SEEN = sys.argv.pop(1)
STARTED = []
sys.addaudithook(lambda event, args: STARTED.append(event) if event in ("subprocess.Popen", "os.fork",
                                                                      "os.posix_spawn") else None)
def _report():
    with open(SEEN, "w") as fh:
        json.dump(sorted(sys.modules) + ["started:" + e for e in STARTED], fh)
atexit.register(_report)
from grader.cli import main
sys.argv[0] = "grader"
main()
"""


def _rerun(course: Path, subs: Path, out: Path, seen: Path) -> tuple[subprocess.CompletedProcess, set[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, str(seen), "--course", str(course), "grade", str(subs),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    return proc, set(json.loads(seen.read_text()))


def test_a_rerun_with_nothing_to_grade_imports_no_torch_and_draws_no_report(tiny_course, tmp_path, kit):
    subs = tmp_path / "class"
    kit.write(subs / "alice" / "ch1" / "basics.py", kit.SOLUTION)
    kit.write(subs / "bob" / "ch1" / "basics.py", kit.WRONG)
    kit.write(subs / "bob" / "ch2" / "twice.ipynb", json.dumps(
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
             "source": ["def twice(x):\n", "    return 2 * x\n"]}]}))
    out = tmp_path / "out"
    first = kit.run_grader(tiny_course, subs, "--out", out)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    report = out / "report.html"
    drawn = report.stat().st_mtime_ns
    grades = (out / "grades.csv").read_bytes()

    proc, modules = _rerun(tiny_course, subs, out, tmp_path / "modules.json")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "graded now: 0, already in the gradebook: 2" in proc.stdout
    started = {m for m in modules if m == "torch" or m.startswith((
        "torch.", "torchgrade_checks", "torchgrade_reference", "grader.checks.runner", "matplotlib", "nbformat",
        "multiprocessing.popen_spawn", "started:"))}
    assert started == set(), sorted(started)[:10]
    assert report.stat().st_mtime_ns == drawn          # the report shows the same grades: not drawn
    assert (out / "grades.csv").read_bytes() == grades

    # a change the report shows (a student's new hand-in) draws it again
    kit.write(subs / "bob" / "ch1" / "basics.py", kit.SOLUTION)
    proc, modules = _rerun(tiny_course, subs, out, tmp_path / "modules2.json")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "graded now: 1" in proc.stdout and "torch" not in modules   # the judges imported it, not us
    assert report.stat().st_mtime_ns != drawn


def test_grader_report_always_draws(tiny_course, tmp_path, kit):
    subs = tmp_path / "class"
    kit.write(subs / "alice" / "ch1" / "basics.py", kit.SOLUTION)
    out = tmp_path / "out"
    assert kit.run_grader(tiny_course, subs, "--out", out).returncode == 0
    drawn = (out / "report.html").stat().st_mtime_ns
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "--course", str(tiny_course), "report", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (out / "report.html").stat().st_mtime_ns != drawn
