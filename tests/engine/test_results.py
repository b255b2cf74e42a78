"""The results model: CheckStatus (one table of what each status means, read by every renderer)
and the CheckResult / ExerciseResult / StudentResult dataclasses the gradebook stores and every
renderer reads: their JSON round trips, and a gradebook read back rendering as it was written."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest

from grader.checks.runner import STATUSES
from grader.results import (CheckResult, CheckStatus, ExerciseResult, HandIn, ResultFormatError, StudentResult,
                            status_mark, status_style, status_word)

# The words students have always read (feedback.md and Gradescope had a copy each).
WORDS = {"passed": "passed", "failed": "wrong result", "error": "your code raised an error",
         "timeout": "took too long", "oom": "ran out of memory",
         "crashed": "the process running your code died", "missing": "missing",
         "forbidden": "used a forbidden built-in", "skipped": "skipped",
         "tampering": "changed the grader's own code"}
STYLES = {"passed": "green", "failed": "yellow", "error": "red", "timeout": "magenta",
          "oom": "magenta", "crashed": "red", "missing": "dim", "forbidden": "red", "skipped": "cyan",
          "tampering": "bold red"}


def test_every_status_has_one_word_style_and_mark() -> None:
    assert STATUSES == tuple(WORDS)
    for s in CheckStatus:
        assert s == s.value and str(s) == s.value and json.dumps(s) == f'"{s.value}"'
        assert s.word == WORDS[s.value] and s.style == STYLES[s.value]
        assert s.mark == {"passed": "PASS", "skipped": "SKIP"}.get(s.value, "FAIL")
        assert bool(s.advice) == (s.value not in ("passed", "skipped"))
    assert "{chapter}" in CheckStatus.FAILED.advice


def test_unknown_status_strings_render_as_themselves() -> None:
    assert CheckStatus.of("weird") is None and CheckStatus.of("oom") is CheckStatus.OOM
    assert (status_word("weird"), status_style("weird"), status_mark("weird")) == ("weird", "white", "FAIL")


def test_renderers_read_the_enum() -> None:
    import grader.export.gradescope as gradescope
    import grader.notebook as notebook
    import grader.reports.grades as grades
    import grader.reports.terminal as terminal
    for module in (grades, terminal, gradescope, notebook):
        assert not hasattr(module, "STATUS_WORDS") and not hasattr(module, "STATUS_STYLE")
    assert not hasattr(grades, "ADVICE") and not hasattr(notebook, "_MARK")


# ---------------------------------------------------------------------------- the results model

ROOT = Path(__file__).resolve().parents[2]
IDS = ["ch3.softmax", "ch4.dropout"]      # the course's assignment hw1


def _check(name: str, status: str, points: float, max_points: float, *, visible: bool = False,
           message: str = "", summary: str = "", detail: str = "") -> CheckResult:
    return CheckResult(f"ch3.softmax::{name}", name, visible, status, points, max_points, message, detail,
                       seconds=0.25, device="cpu", summary=summary, title=f"{name} does its job.")


def _rows() -> list[StudentResult]:
    """Rows as judges send them: every status, visible and hidden, a stub, a broken file, a
    missing one, a whole-submission problem, the engine's worker report and flags."""
    good = ExerciseResult(
        "graded", 7.5, 10.0, source="ch3/softmax.py", notes=["notebook: dropped 1 top-level statement"],
        checks=[_check("test_rows", "passed", 2, 2, visible=True),
                _check("test_shape", CheckStatus.FAILED, 0, 2, visible=True,
                       message="softmax(X): wrong shape: got (4, 1), expected (4,)\ngot tensor([1.])",
                       summary="softmax(X): wrong shape: got (4, 1), expected (4,)"),
                _check("test_hidden", "error", 0, 3, message="softmax raised ValueError: X=tensor([0.5, 1.5])",
                       summary="softmax raised an exception", detail="line 3, in softmax"),
                _check("test_gpu", "skipped", 0, 0, message="needs a CUDA GPU", summary="needs a CUDA GPU"),
                _check("test_slow", "timeout", 0, 1, message="took too long (more than 3 s)")],
        worker={"exit_status": [0, None], "killed": False, "seconds": 1.5, "signal": [None, 9], "stderr": "",
                "stdout": "hi\n", "workers": 2},
        sandbox="landlock-abi7 (test)", seconds=2.25, key="k1", code="def softmax(X):\n    return X\n",
        findings=["line 2: calls exec (code the review cannot read)"])
    stub = ExerciseResult("graded", 0.0, 10.0, source="ch4/dropout.py", checks=[
        dataclasses.replace(_check("test_drop", "error", 0, 2, visible=True,
                                   message="dropout_layer is not implemented yet: write your code here",
                                   summary="dropout_layer is not implemented yet"), check_id="ch4.dropout::test_drop")],
        sandbox="landlock-abi7 (test)", seconds=0.5, key="k2", code="")
    broken = ExerciseResult("error", 0.0, 10.0, message="syntax error in ch3/softmax.py line 4: invalid syntax",
                            source="ch3/softmax.py", checks=[_check("test_rows", "error", 0, 2, visible=True,
                                                                    message="syntax error", summary="syntax error")],
                            key="k3", code="def softmax(:\n", tampering="")
    missing = ExerciseResult("missing", 0.0, 10.0, message="not handed in", checks=[], key="k4", code="")
    # free-form dicts in sorted order: the gradebook stores keys sorted, and a run's reports are
    # made from the rows read back, so that is the order every renderer sees
    facts = {"cuda": None, "device": "cpu", "gpu": None, "python": "3.11", "sandbox": "landlock-abi7 (test)",
             "torch": "2.x"}
    return [StudentResult("alice", "folder", "alice", "", {"ch3.softmax": good, "ch4.dropout": stub}, facts),
            StudentResult("bob", "zip", "bob.zip", "", {"ch3.softmax": broken, "ch4.dropout": missing}, facts),
            StudentResult("=carol", "folder", "=carol", "the zip is nested more than 8 folders deep",
                          {"ch3.softmax": missing, "ch4.dropout": missing}, {})]


def _for_reports(rows: list[StudentResult]) -> list[StudentResult]:
    """What load_class adds before the reports: the hand-in (when, from whom) and the final grade."""
    from grader.course import load_course
    from grader.grading.final import finalize
    from grader.grading.gradebook import Decisions

    course = load_course(ROOT)
    decisions = Decisions(
        overrides={"bob": {"ch3.softmax": {"points": 5.0, "reason": "regrade", "by": "ta", "at": "2030-01-20"}}},
        handins={r.student: HandIn(at="2030-01-17T10:00:00+00:00", source="times.csv", name=r.student.title(),
                                   section="A") for r in rows})
    return [finalize(r, course, IDS, assignment=course.assignments["hw1"], decisions=decisions) for r in rows]


def _json_trip(obj):
    return type(obj).from_json(json.loads(json.dumps(obj.to_json(), allow_nan=False)))


def test_each_result_round_trips_through_json() -> None:
    alice = _rows()[0]
    checks = alice.exercises["ch3.softmax"].checks
    for c in checks:
        assert _json_trip(c) == c and type(c.to_json()["status"]) is str
    entry = alice.exercises["ch3.softmax"]
    assert _json_trip(entry) == entry
    full = dataclasses.replace(_for_reports([alice])[0], seconds=3.5)
    assert full.grade is not None and full.grade.raw == 7.5 and full.handin is not None
    assert _json_trip(full) == full
    # the stored form is the gradebook's as it always was: its keys, None left out
    stored = alice.to_json()
    assert set(stored) == {"student", "kind", "source", "problem", "exercises", "facts"}
    assert set(stored["exercises"]["ch4.dropout"]) == {
        "status", "score", "max", "message", "source", "notes", "checks", "sandbox", "seconds", "key", "code",
        "tampering", "findings"}
    assert set(stored["exercises"]["ch3.softmax"]["checks"][0]) == {
        "check_id", "name", "visible", "status", "points", "max_points", "message", "detail", "seconds",
        "device", "summary", "title"}
    stored["exercises"]["ch3.softmax"]["notes"].append("changed")      # a copy, not the object's list
    assert alice.exercises["ch3.softmax"].notes == ["notebook: dropped 1 top-level statement"]


def test_rows_older_engines_wrote_read_with_their_gaps_marked() -> None:
    old = StudentResult.from_json({"student": "s", "exercises": {"ch3.softmax": {
        "status": "graded", "score": 4, "max": 10, "message": "", "notes": []}}})
    entry = old.exercises["ch3.softmax"]
    assert entry.checks is None and entry.check_results() == [] and entry.code is None   # not kept then
    assert old.facts == {} and old.kind == "" and old.totals() == (4.0, 10.0)
    check = CheckResult.from_json({"check_id": "a::t", "name": "t", "visible": False, "status": "failed",
                                   "points": 0, "max_points": 1, "message": "wrong"})
    assert check.label == "t" and check.summary == "" and check.seconds == 0.0


def test_unknown_keys_are_ignored_and_missing_ones_named() -> None:
    newer = _rows()[0].to_json()
    newer["from_the_future"] = 1
    newer["exercises"]["ch3.softmax"]["checks"][0]["weight"] = 2.0
    assert StudentResult.from_json(newer) == _rows()[0]
    del newer["exercises"]["ch3.softmax"]["checks"][1]["status"]
    with pytest.raises(ResultFormatError, match=r"alice\.exercises\.ch3\.softmax\.checks\[1\]: no 'status'"):
        StudentResult.from_json(newer, "alice")
    with pytest.raises(ResultFormatError, match="expected a JSON object, got list"):
        StudentResult.from_json({"student": "s", "exercises": []})
    with pytest.raises(ResultFormatError, match="no 'student'"):
        StudentResult.from_json({"exercises": {}})


def test_totals_and_not_attempted() -> None:
    alice, bob, _ = _rows()
    assert alice.totals(IDS) == (7.5, 20.0) and alice.totals(["ch3.softmax", "ch9.none"]) == (7.5, 10.0)
    assert bob.totals() == (0.0, 20.0)
    assert [c.not_attempted for c in alice.exercises["ch4.dropout"].check_results()] == [True]
    assert not any(c.not_attempted for c in alice.exercises["ch3.softmax"].check_results())


def _render_all(rows: list[StudentResult], out: Path) -> dict[str, str]:
    """Every format the engine renders results in, as text."""
    from rich.console import Console

    from grader.course import load_course
    from grader.export.gradescope import results_json
    from grader.export.nbgrader import cell_verdict
    from grader.grading.final import ClassGrades
    from grader.notebook import CheckSummary
    from grader.reports.grades import write_reports
    from grader.reports.html import build_report
    from grader.reports.terminal import summary_table

    course = load_course(ROOT)
    rows = _for_reports(rows)
    write_reports(ClassGrades(out, course, rows, IDS, course.assignments["hw1"], {"started": "then"}))
    texts = {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in sorted(out.rglob("*")) if p.is_file()}
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(summary_table(rows, IDS, "T"))
    texts["terminal"] = console.export_text()
    for r in rows:
        texts[f"results.json {r.student}"] = json.dumps(results_json(r, course=course))
        for e in r.exercises.values():
            checks = e.check_results()
            texts[f"check() {r.student}"] = "\n".join(CheckSummary("ch3.softmax", "t", checks).lines())
            for c in checks:
                texts[f"nbgrader {r.student} {c.check_id}"] = repr(cell_verdict(c, c.label, "skip"))
    html, pngs, pages, _ = build_report(course, rows, {}, IDS)
    texts["report.html"] = html
    texts.update({f"page {k}": v or "" for k, v in pages.items()})
    return texts


def test_a_gradebook_written_and_read_back_renders_the_same_everywhere(tmp_path: Path) -> None:
    from grader.grading.gradebook import Gradebook, read_gradebook

    rows = _rows()
    with Gradebook(tmp_path / "book" / "gradebook.sqlite") as book:
        for r in rows:
            book.put(r)
        reopened = [book.rows()[r.student] for r in rows]
        assert reopened == rows and book.get("alice") == rows[0]
    read, _meta = read_gradebook(tmp_path / "book" / "gradebook.sqlite")
    read_back = [read[r.student] for r in rows]
    assert read_back == rows
    before = _render_all(rows, tmp_path / "before")
    after = _render_all(read_back, tmp_path / "after")
    assert set(before) == set(after) and len(before) > 20
    for name in before:
        assert before[name] == after[name], name
    # the renderers saw what they were meant to: the override, the penalty, the hidden text kept back
    assert "bob,5,override" in before["grades.csv"] and "hours_late" in before["grades.csv"]
    assert "ValueError" not in before["feedback/alice.md"] and "X=tensor" not in before["feedback/alice.md"]
    assert "X=tensor" not in before["results.json alice"]
    assert "1 not attempted" in before["terminal"] and "1 finding(s) of the review" in before["terminal"]
    assert "alice" in before["report.html"] and "Feedback for alice" in before["page alice"]
