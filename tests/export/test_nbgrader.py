"""The nbgrader export, checked with the real nbgrader: generate_assignment, autograde a solution,
a stub and a half-done notebook, and compare nbgrader's scores with `grader grade --nbgrader`."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.course import load_course
from grader.export.nbgrader import cell_points, export_course, source_notebook

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXERCISE = "ch3.softmax"


def _env(tmp: Path) -> dict:
    env = dict(os.environ)
    # nbgrader runs `alembic` from PATH; kernels must not pick up the user's Jupyter setup.
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    for var, sub in (("JUPYTER_DATA_DIR", "data"), ("JUPYTER_PATH", "data"), ("JUPYTER_CONFIG_DIR", "config"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
        env[var] = str(tmp / ".jupyter" / sub)
    env["TORCHGRADE_COURSE"] = str(ROOT)
    return env


def _run(cmd: list[str], cwd: Path, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_cell_points_add_up_exactly() -> None:
    shares = cell_points([2, 2, 2, 2, 2, 2, 1, 1, 3, 2, 1, 2, 3, 1], 10)
    assert round(sum(shares), 6) == 10
    assert all(s > 0 for s in shares)
    assert cell_points([1, 1, 1], 3) == [1.0, 1.0, 1.0]


def test_source_notebook_metadata() -> None:
    course = load_course(ROOT)
    ex = course.exercise(EXERCISE)
    nb = source_notebook(course, ex)
    nbformat.validate(nb)
    metas = [c.metadata["nbgrader"] for c in nb.cells]
    ids = [m["grade_id"] for m in metas]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)
    assert all(m["schema_version"] == 3 for m in metas)
    for cell, m in zip(nb.cells, metas):
        if cell.cell_type == "markdown":
            assert m["locked"] and not m["solution"] and not m["grade"]
        elif "### BEGIN SOLUTION" in cell.source:
            assert m["solution"] and not m["grade"] and not m["locked"]
            # the hint stays outside the region nbgrader clears
            before = cell.source.split("### BEGIN SOLUTION")[0]
            assert "# HINT:" in before and "# HINT:" not in cell.source.split("### BEGIN SOLUTION")[1]
        elif m["grade"]:
            assert m["locked"] and m["points"] > 0
    tests = [c for c in nb.cells if c.metadata["nbgrader"]["grade"]]
    assert round(sum(c.metadata["nbgrader"]["points"] for c in tests), 6) == ex.points
    hidden = [c for c in tests if "### BEGIN HIDDEN TESTS" in c.source]
    assert hidden and len(hidden) < len(tests)
    for cell in hidden:
        outside = re.sub(r"### BEGIN HIDDEN TESTS.*### END HIDDEN TESTS", "", cell.source, flags=re.S)
        assert "run_check" not in outside and "test_" not in outside
        assert "test_" not in cell.metadata["nbgrader"]["grade_id"]
    # the __main__ demo (downloads, trains) is not part of the nbgrader notebook
    assert not any("__main__" in c.source for c in nb.cells)


def _student_notebook(release: dict, source: dict, solved: set[str]) -> dict:
    """The release notebook with the named solution cells answered as in the source."""
    answers = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in source["cells"]
               if c["metadata"].get("nbgrader", {}).get("solution")}
    nb = copy.deepcopy(release)
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in answers and gid in solved:
            cell["source"] = answers[gid]
    return nb


def test_real_nbgrader_agrees_with_grader_grade(tmp_path: Path) -> None:
    course = load_course(ROOT)
    ex = course.exercise(EXERCISE)
    nbdir = tmp_path / "nbcourse"
    export_course(course, nbdir, exercise_ids=[EXERCISE], course_path=ROOT)
    env = _env(tmp_path)
    _run([str(BIN / "nbgrader"), "generate_assignment", ex.chapter], nbdir, env)

    release_nb = nbdir / "release" / ex.chapter / f"{ex.name}.ipynb"
    release = json.loads(release_nb.read_text())
    source = json.loads((nbdir / "source" / ex.chapter / f"{ex.name}.ipynb").read_text())
    release_text = release_nb.read_text()
    assert "### BEGIN SOLUTION" not in release_text and "BEGIN HIDDEN TESTS" not in release_text
    assert "hidden=True" not in release_text and "X.max(dim=1, keepdim=True).values" not in release_text

    solution_ids = [c["metadata"]["nbgrader"]["grade_id"] for c in source["cells"]
                    if c["metadata"]["nbgrader"].get("solution")]
    students = {"alice": set(solution_ids), "bob": set(), "carol": {solution_ids[0]}}  # carol: softmax only
    for student, solved in students.items():
        folder = nbdir / "submitted" / student / ex.chapter
        folder.mkdir(parents=True)
        (folder / f"{ex.name}.ipynb").write_text(json.dumps(_student_notebook(release, source, solved)))
    _run([str(BIN / "nbgrader"), "autograde", ex.chapter], nbdir, env, timeout=600)

    from nbgrader.api import Gradebook
    nb_scores: dict[str, float] = {}
    nb_cells: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{nbdir / 'gradebook.db'}") as gb:
        for student in students:
            sub = gb.find_submission_notebook(ex.name, ex.chapter, student)
            assert sub.max_score == pytest.approx(ex.points)
            nb_scores[student] = sub.score
            nb_cells[student] = {g.name: g.score for g in sub.grades}

    out = tmp_path / "grades"
    _run([sys.executable, "-m", "grader.cli", "--course", str(ROOT), "grade", "--nbgrader", str(nbdir),
          "--assignment", ex.chapter, "--only", EXERCISE, "--out", str(out), "--jobs", "1"], ROOT, env)
    ours = json.loads((out / "grades.json").read_text())
    by_student = {s["student"]: s["exercises"][EXERCISE] for s in ours["students"]}
    assert set(by_student) == set(students)

    assert nb_scores["alice"] == pytest.approx(ex.points) and by_student["alice"]["score"] == ex.points
    assert nb_scores["bob"] == 0 and by_student["bob"]["score"] == 0
    assert 0 < by_student["carol"]["score"] < ex.points
    for student in students:
        assert nb_scores[student] == pytest.approx(by_student[student]["score"], abs=0.01), student

    # cell by cell: a test cell earns its points exactly when our check of the same name passed
    check_of_cell = {}
    for cell in source["cells"]:
        m = cell["metadata"]["nbgrader"]
        if m.get("grade"):
            found = re.search(r'run_check\("[^"]+", "([^"]+)"', "".join(cell["source"]))
            check_of_cell[m["grade_id"]] = found.group(1)
    for student in students:
        passed = {c["name"] for c in by_student[student]["checks"] if c["status"] == "passed"}
        for gid, check_name in check_of_cell.items():
            earned = nb_cells[student].get(gid)
            assert earned is not None, f"{student}: nbgrader has no grade for {gid}"
            assert (earned > 0) == (check_name in passed), (student, check_name, earned)
