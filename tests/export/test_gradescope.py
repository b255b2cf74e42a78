"""The Gradescope autograder: results.json mapping, the zip, and run_autograder end to end on an
/autograder-shaped folder with a correct, a stub and an adversarial submission."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.course import load_course
from grader.export.gradescope import build_package, results_json
from grader.results import CheckResult, ExerciseResult, StudentResult

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = "ch3.softmax"
TEST_KEYS = {"name", "score", "max_score", "status", "output", "visibility"}


def _hidden_source_lines() -> list[str]:
    """Code lines of the hidden checks long enough to be recognisable if they leaked."""
    text = (ROOT / "solutions" / "ch3" / "test_softmax_hidden.py").read_text()
    return [ln.strip() for ln in text.splitlines()
            if len(ln.strip()) > 30 and not ln.strip().startswith(('"""', "#", "def ", "@check"))
            and '"""' not in ln]


# ---------------------------------------------------------------------------- results_json

def test_results_json_maps_check_results() -> None:
    course = load_course(ROOT)
    secret = "expected tensor([[0.1234, 0.5678]]) from hidden input X=tensor([[1.5, -2.25]])"
    results = StudentResult("s", exercises={EXERCISE: ExerciseResult("graded", checks=[
        CheckResult(f"{EXERCISE}::test_a", "test_a", True, "passed", 2.0, 2.0, "", device="cpu"),
        CheckResult(f"{EXERCISE}::test_b", "test_b", True, "failed", 0.0, 2.0,
                    "softmax(X): 3 of 6 entries differ\ngot [1, 2] expected [3, 4]", detail="values"),
        CheckResult(f"{EXERCISE}::test_c", "test_c", False, "passed", 3.0, 3.0),
        CheckResult(f"{EXERCISE}::test_d", "test_d", False, "failed", 0.0, 3.0,
                    "softmax(X): wrong values (max abs diff 0.3)", detail=secret),
    ])})
    doc = results_json(results, course=course, execution_time=1.6)
    assert doc["execution_time"] == 2 and isinstance(doc["output"], str)
    assert doc["stdout_visibility"] == "hidden"
    tests = doc["tests"]
    assert len(tests) == 4 and all(TEST_KEYS <= set(t) for t in tests)
    # the exercise's 10 course points shared 2:2:3:3 among the checks
    assert [t["max_score"] for t in tests] == [2.0, 2.0, 3.0, 3.0]
    assert [t["score"] for t in tests] == [2.0, 0.0, 3.0, 0.0]
    assert doc["score"] == 5.0
    assert [t["status"] for t in tests] == ["passed", "failed", "passed", "failed"]
    hv = course.grading.hidden_visibility
    assert [t["visibility"] for t in tests] == ["visible", "visible", hv, hv]
    assert "expected [3, 4]" in tests[1]["output"]          # visible: the comparison is shown
    assert tests[3]["output"] == "wrong result"               # hidden: the status only
    assert secret not in json.dumps(doc) and "values" != tests[3]["output"]
    assert results_json(results, course=course, hidden_visibility="hidden")["tests"][3]["visibility"] == "hidden"
    # without a course: raw check points
    raw = results_json(results)
    assert raw["score"] == 5.0 and [t["max_score"] for t in raw["tests"]] == [2.0, 2.0, 3.0, 3.0]


def test_results_json_from_gradebook_row_with_gpu_skip() -> None:
    course = load_course(ROOT)
    row = StudentResult.from_json({"student": "s", "exercises": {EXERCISE: {"status": "graded", "score": 10, "max": 10, "checks": [
        {"check_id": "x::a", "name": "test_a", "title": "A works", "visible": True, "status": "passed",
         "points": 1.0, "max_points": 1.0, "message": ""},
        {"check_id": "x::g", "name": "test_g", "title": "on the GPU", "visible": False, "status": "skipped",
         "points": 0.0, "max_points": 0.0, "message": "needs a CUDA GPU"},
    ]}}})
    doc = results_json(row, course=course)
    assert doc["score"] == 10.0
    assert [t["max_score"] for t in doc["tests"]] == [10.0, 0.0]
    assert doc["tests"][0]["name"] == f"{EXERCISE}: A works"


# ---------------------------------------------------------------------------- the zip

@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    build_package(load_course(ROOT), out, exercise_ids=[EXERCISE])
    return out


def test_zip_layout(autograder_zip: Path) -> None:
    import torch
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        assert {"setup.sh", "run_autograder"} <= names
        for name in ("setup.sh", "run_autograder"):
            assert (zf.getinfo(name).external_attr >> 16) & stat.S_IXUSR, f"{name} must be executable"
        setup = zf.read("setup.sh").decode()
        config = json.loads(zf.read("course/gradescope.json"))
    assert f"torch=={torch.__version__.split('+')[0]}" in setup and "torchvision==" in setup
    assert config["exercises"] == [EXERCISE]
    for needed in ("course/course.toml", "course/pyproject.toml", "course/grader/__init__.py",
                   "course/grader/grading/scheduler.py", "course/grader/export/gradescope.py",
                   "course/solutions/ch3/softmax.py", "course/solutions/ch3/test_softmax_hidden.py",
                   "course/exercises/ch3/test_softmax.py"):
        assert needed in names, needed
    assert not any("variants/" in n or "__pycache__" in n or n.endswith(".pyc") or ".salt" in n
                   for n in names)
    # only the packaged exercise's instructor files
    assert not [n for n in names if n.startswith("course/solutions/") and "softmax" not in n]


# ---------------------------------------------------------------------------- run_autograder

@pytest.fixture(scope="module")
def autograder_root(tmp_path_factory: pytest.TempPathFactory, autograder_zip: Path) -> Path:
    root = tmp_path_factory.mktemp("autograder")
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    return root


def _run_autograder(root: Path, files: dict[str, str], *, plant: str | None = None,
                    engine_args: list[str] | None = None) -> tuple[dict, subprocess.CompletedProcess]:
    import shutil
    for sub in ("submission", "results"):
        shutil.rmtree(root / sub, ignore_errors=True)
        (root / sub).mkdir()
    for rel, text in files.items():
        path = root / "submission" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if plant is not None:
        (root / "results" / "results.json").write_text(plant)
    env = dict(os.environ, GRADESCOPE_ROOT=str(root), TORCHGRADE_PYTHON=sys.executable)
    cmd = [str(root / "source" / "run_autograder")] if engine_args is None else \
        [sys.executable, "-m", "grader.export.gradescope", "run", "--root", str(root), *engine_args]
    proc = subprocess.run(cmd, cwd=root, env=dict(env, PYTHONPATH=str(root / "source" / "course")),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads((root / "results" / "results.json").read_text())
    return doc, proc


def _validate(doc: dict) -> None:
    assert isinstance(doc["score"], (int, float)) and isinstance(doc["execution_time"], int)
    assert isinstance(doc["output"], str) and doc["tests"]
    hidden_vis = load_course(ROOT).grading.hidden_visibility
    for t in doc["tests"]:
        assert TEST_KEYS <= set(t), t
        assert t["status"] in ("passed", "failed")
        assert 0 <= t["score"] <= t["max_score"] + 1e-9
        assert t["visibility"] in ("visible", hidden_vis)
    assert doc["score"] == pytest.approx(sum(t["score"] for t in doc["tests"]), abs=1e-3)
    assert sum(t["max_score"] for t in doc["tests"]) == pytest.approx(10.0, abs=1e-6)
    text = json.dumps(doc)
    for line in _hidden_source_lines():
        assert line not in text, f"hidden check source leaked: {line}"


def test_correct_submission_scores_the_maximum(autograder_root: Path) -> None:
    solution = (ROOT / "solutions" / "ch3" / "softmax.py").read_text()
    doc, proc = _run_autograder(autograder_root, {"softmax.py": solution})   # flat upload
    _validate(doc)
    assert doc["score"] == pytest.approx(10.0)
    assert all(t["status"] == "passed" for t in doc["tests"])
    assert "graded with: grader grade" in proc.stdout
    assert doc["extra_data"]["engine"].startswith("grader grade")
    hidden = [t for t in doc["tests"] if "hidden check" in t["name"]]
    assert hidden and all(t["visibility"] != "visible" for t in hidden)


def test_stub_submission_scores_zero(autograder_root: Path) -> None:
    stub = (ROOT / "exercises" / "ch3" / "softmax.py").read_text()
    doc, _ = _run_autograder(autograder_root, {"ch3/softmax.py": stub})
    _validate(doc)
    assert doc["score"] == 0
    assert all(t["status"] == "failed" and t["score"] == 0 for t in doc["tests"])
    assert any("not implemented" in t["output"] for t in doc["tests"])


ADVERSARIAL = '''
import json, os, sys
import torch

RESULTS = {results!r}
FORGED = {{"score": 1000, "tests": [], "output": "forged by the submission"}}

def _forge():
    for attempt in (lambda: open(RESULTS, "w"), lambda: open(os.path.join(os.getcwd(), "..", "results.json"), "w")):
        try:
            with attempt() as fh:
                json.dump(FORGED, fh)
        except Exception:
            pass
    print(json.dumps(FORGED))            # a fake results document on stdout
    print("PASSED 14/14")

_forge()


class Always:
    def __eq__(self, other):
        return True
    def __bool__(self):
        return True
    def __float__(self):
        return 0.0


def softmax(X):
    _forge()
    shifted = X - X.max(dim=1, keepdim=True).values
    e = torch.exp(shifted)
    return e / e.sum(dim=1, keepdim=True)


def cross_entropy(y_hat, y):
    _forge()
    return Always()


def cross_entropy_logits(logits, y):
    return Always()
'''


def test_adversarial_submission_gets_its_true_score(autograder_root: Path) -> None:
    results = autograder_root / "results" / "results.json"
    forged = json.dumps({"score": 999, "tests": [], "output": "planted before grading"})
    doc, _ = _run_autograder(autograder_root, {"exercises/ch3/softmax.py": ADVERSARIAL.format(results=str(results))},
                             plant=forged)
    _validate(doc)
    assert "forged" not in json.dumps(doc) and "planted" not in json.dumps(doc)
    assert doc["extra_data"]["engine"].startswith("grader grade")
    # softmax is right (13 of the 26 check points = 5 course points); the always-equal objects earn nothing
    assert doc["score"] == pytest.approx(5.0, abs=1e-3)
    for t in doc["tests"]:
        if re.search(r"cross_entropy", t["name"]):
            assert t["status"] == "failed", t
    # the file on disk is ours and only ours
    assert json.loads(results.read_text()) == doc
    assert not [p.name for p in results.parent.iterdir() if p.name != "results.json"]


def test_in_process_fallback_says_so(autograder_root: Path) -> None:
    solution = (ROOT / "solutions" / "ch3" / "softmax.py").read_text()
    doc, proc = _run_autograder(autograder_root, {"ch3/softmax.py": solution}, engine_args=["--engine", "inprocess"])
    _validate(doc)
    assert doc["score"] == pytest.approx(10.0)
    assert "NOT sandboxed" in proc.stdout and "NOT sandboxed" in doc["extra_data"]["engine"]
