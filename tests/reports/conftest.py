"""Fixtures of the class-report tests: the grading tests' tiny course, and a small synthetic
gradebook whose statistics were worked out by hand (see test_report_stats.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from grader.grading.gradebook import Gradebook
from grader.results import StudentResult

EX = "ch1.basics"


def _kit():
    path = Path(__file__).resolve().parents[1] / "grading" / "kit.py"
    spec = importlib.util.spec_from_file_location("grading_test_kit_for_reports", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(name: str, points: float, earned: float, status: str | None = None, summary: str = "",
          visible: bool = False) -> dict:
    status = status or ("passed" if earned >= points else "failed")
    return {"check_id": f"{EX}::{name}", "name": name, "title": f"check {name}", "visible": visible,
            "status": status, "points": earned, "max_points": points, "message": summary,
            "summary": summary, "detail": "", "seconds": 0.01, "device": "cpu"}


def row(student: str, checks: list[dict] | None, code: str = "") -> dict:
    """A gradebook row with ch1.basics graded from `checks` (None: not handed in) and ch2.twice missing."""
    if checks is None:
        basics = {"status": "missing", "message": "not handed in", "source": "", "notes": [], "score": 0.0,
                  "max": 4.0, "checks": [dict(c, status="missing", points=0.0) for c in checks_template()],
                  "sandbox": None, "seconds": 0.0, "code": ""}
    else:
        basics = {"status": "graded", "message": "", "source": "ch1/basics.py", "notes": [],
                  "score": sum(c["points"] for c in checks), "max": 4.0, "checks": checks,
                  "sandbox": "landlock-abi7 (test)", "seconds": 0.5, "code": code}
    twice = {"status": "missing", "message": "not handed in", "source": "", "notes": [], "score": 0.0, "max": 2.0,
             "checks": [dict(check("test_twice", 2, 0), status="missing", message="not handed in",
                             summary="not handed in", check_id="ch2.twice::test_twice")],
             "sandbox": None, "seconds": 0.0, "code": ""}
    return {"student": student, "kind": "folder", "source": student, "problem": "",
            "facts": {"python": "3.11", "torch": "2.x", "device": "cpu", "gpu": None, "sandbox": "landlock-abi7 (test)"},
            "exercises": {EX: basics, "ch2.twice": twice}}


def checks_template() -> list[dict]:
    return [check("a", 2, 0), check("b", 1, 0), check("bad", 1, 0)]


def hand_rows() -> list[dict]:
    """s1..s4 hand in ch1.basics, s5 hands in nothing. Totals 3, 2, 2, 1, 0."""
    return [
        row("s1", [check("a", 2, 2), check("b", 1, 1), check("bad", 1, 0, summary="got 3 expected 4")]),
        row("s2", [check("a", 2, 2), check("b", 1, 0, status="error", summary="b raised ValueError"),
                   check("bad", 1, 0, summary="got 5 expected 4")]),
        row("s3", [check("a", 2, 0, summary="shape (4, 1) expected (4,)"), check("b", 1, 1), check("bad", 1, 1)]),
        row("s4", [check("a", 2, 0, summary="shape (4, 1) expected (4,)"), check("b", 1, 0, summary="wrong sign"),
                   check("bad", 1, 1)]),
        row("s5", None),
    ]


def rows_with_a_copy() -> list[dict]:
    """hand_rows() where s2's file is s1's with one name changed (a pair the report lists)."""
    rows = hand_rows()
    code = "def add(a, b):\n    total = a + b\n    if total is None:\n        raise ValueError('x')\n" * 3
    rows[0]["exercises"][EX]["code"] = code
    rows[1]["exercises"][EX]["code"] = code.replace("total", "s")
    return rows


def class_of_24() -> list[dict]:
    """24 students: a (2 points) passed by the stronger half, bad passed by the weaker half, and
    b passed by six of the weaker and five of the stronger (a little more often by the weaker)."""
    rows = []
    for i in range(24):
        strong = i >= 12
        b = (i % 2 == 0) if not strong else i in (12, 14, 16, 18, 20)
        rows.append(row(f"s{i:02d}", [check("a", 2, 2 if strong else 0), check("b", 1, 1 if b else 0),
                                         check("bad", 1, 0 if strong else 1)]))
    return rows


@pytest.fixture
def tiny_course(tmp_path: Path) -> Path:
    return _kit().make_course(tmp_path / "course")


def results(rows: list[dict]) -> list[StudentResult]:
    """Rows as the gradebook stores them (JSON) read as the reports read them."""
    return [StudentResult.from_json(r) for r in rows]


def write_gradebook(out: Path, rows: list[dict]) -> Path:
    with Gradebook(out / "gradebook.sqlite") as book:
        for r in results(rows):
            book.put(r)
    return out


@pytest.fixture
def rk():
    """These helpers (row, check, hand_rows, results, write_gradebook), for the test modules."""
    import sys
    return sys.modules[__name__]
