"""The gradebook (atomic rows, lock, merge) and the report writers, on synthetic rows: fast."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from grader.course import load_course
from grader.grading.final import ClassGrades, finalize_rows
from grader.grading.gradebook import Gradebook, GradebookError, merge
from grader.reports.grades import feedback_md, grades_csv, write_reports
from grader.results import ExerciseResult, StudentResult


def _final(course, rows, ids=("ch1.basics",)):
    return finalize_rows(rows, course, list(ids))


def _row(student: str, status: str = "failed", visible: bool = False) -> StudentResult:
    check = {"check_id": "ch1.basics::test_add_random", "name": "test_add_random",
             "title": "add agrees with the reference on random tensors.", "visible": visible,
             "status": status, "points": 0.0, "max_points": 3.0,
             "message": "add(X, Y): 12 of 12 entries differ\nline 2\nline3\nline4\nline5\nline6\nline7 secret",
             "detail": "got tensor([1.5, 2.5]) expected tensor([0.5, 0.25])", "seconds": 0.1, "device": "cpu"}
    passed = dict(check, check_id="ch1.basics::test_add_small", name="test_add_small", title="add(2, 3) is 5.",
                  visible=True, status="passed", points=1.0, max_points=1.0, message="", detail="")
    return StudentResult.from_json({
        "student": student, "kind": "folder", "source": student, "problem": "",
        "facts": {"torch": "2.x", "device": "cpu", "sandbox": "landlock"},
        "exercises": {"ch1.basics": {"status": "graded", "message": "", "source": "ch1/basics.py", "notes": [],
                                     "score": 1.0, "max": 4.0, "key": "k", "sandbox": "landlock-abi7",
                                     "checks": [passed, check], "worker": None, "seconds": 0.2}}})


def test_gradebook_rows_lock_and_merge(tmp_path: Path) -> None:
    path = tmp_path / "out" / "gradebook.sqlite"
    with Gradebook(path) as book:
        book.put(_row("alice"))
        with pytest.raises(GradebookError, match="in use by another"):
            Gradebook(path)
        assert book.get("alice").exercises["ch1.basics"].score == 1.0
        assert book.get("nobody") is None
    with Gradebook(path) as book:                      # reopened: the row is still there
        assert list(book.students()) == ["alice"]
        new = StudentResult("alice", exercises={"ch2.twice": ExerciseResult("graded", score=2.0)})
        merged = merge(book.get("alice"), new)
        assert sorted(merged.exercises) == ["ch1.basics", "ch2.twice"]
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(GradebookError, match="not a usable gradebook"):
        Gradebook(tmp_path / "junk.sqlite")


def test_reports_hide_hidden_details(tiny_course: Path, tmp_path: Path) -> None:
    course = load_course(tiny_course)
    rows = _final(course, [_row("=cmd"), _row("bob", visible=True)])
    text = grades_csv(rows, ["ch1.basics"])
    assert text.splitlines() == [
        "student,ch1.basics,ch1.basics status,raw,withheld,by_hand,penalty,total,max,submitted_at,time_source,"
        "hours_late,lateness,needs_a_person",
        "'=cmd,1,graded,1,0,0,0,1,4,,,0,,", "bob,1,graded,1,0,0,0,1,4,,,0,,"]
    hidden = feedback_md(rows[0], ["ch1.basics"], course)
    assert "(hidden check) — **wrong result**" in hidden and "12 of 12 entries differ" not in hidden
    assert "tensor(" not in hidden and "secret" not in hidden          # the status only
    echo = _row("eve")
    leaky = echo.exercises["ch1.basics"].checks[1]
    leaky.status = "error"
    leaky.message = "add raised ValueError: inputs were tensor([0.125, -1.5]) and 0.25, 0.5, 0.75, 1.0"
    echoed = feedback_md(_final(course, [echo])[0], ["ch1.basics"], course)
    assert "ValueError" not in echoed and "0.125" not in echoed and "0.75" not in echoed
    visible = feedback_md(rows[1], ["ch1.basics"], course)
    assert "line7 secret" in visible and "(hidden check)" not in visible
    grades = ClassGrades(tmp_path / "out", course, _final(course, [_row("bob")]), ["ch1.basics"], run={"started": "now"})
    write_reports(grades)
    (tmp_path / "out" / "feedback" / "gone.md").write_text("old")
    write_reports(grades)
    assert sorted(p.name for p in (tmp_path / "out" / "feedback").iterdir()) == ["bob.md"]
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_an_untouched_stub_is_one_line_not_a_list_of_failures(tiny_course: Path) -> None:
    course = load_course(tiny_course)
    row = _row("bob", status="error")
    for c in row.exercises["ch1.basics"].checks:
        c.status, c.points = "error", 0.0
        c.message, c.summary = "add is not implemented yet: write your code here", "add is not implemented yet"
    text = feedback_md(_final(course, [row])[0], ["ch1.basics"], course)
    assert "**Not attempted:**" in text and "❌" not in text and text.count("NotImplementedError") == 1
    from grader.reports.terminal import _notes
    assert _notes(row, ["ch1.basics"]) == "[dim]1 not attempted[/]"
    first = row.exercises["ch1.basics"].checks[0]
    first.status, first.points = "passed", 1.0   # one passes: attempted
    assert "**Not attempted:**" not in feedback_md(_final(course, [row])[0], ["ch1.basics"], course)


def test_a_long_course_gets_one_terminal_column_per_chapter() -> None:
    from rich.console import Console

    from grader.reports.terminal import summary_table
    from grader.results import ExerciseGrade, FinalGrade
    ids = [f"ch{c}.e{i}" for c in (2, 3) for i in range(6)]
    row = StudentResult("[bold]x", exercises={ex_id: ExerciseResult("graded", score=1.0, max=2.0) for ex_id in ids})
    row.grade = FinalGrade(12, 0, 0, 12, 0, 12, 24, {e: ExerciseGrade("graded", 1.0, 1.0, 2.0) for e in ids})
    console = Console(width=200, record=True)
    console.print(summary_table([row], ids, "T"))
    text = console.export_text()
    assert "ch2" in text and "ch3" in text and "ch2.e0" not in text
    assert "6/12" in text and "12/24" in text and "[bold]x" in text   # the student's name as written


def test_every_check_keeps_its_own_title(tiny_course: Path) -> None:
    """A title comes with its check's result: the judge once looked titles up by check id, so a
    visible check showed a hidden one's description in feedback and on Gradescope. (Two checks of
    one id are now refused: tests/grading/test_grade_run.py.)"""
    from grader.checks.runner import collect_checks, load_reference, run_checks
    from grader.checks.student import local_student
    from grader.grading.judge import Judge, JudgeSettings
    from grader.grading.submissions import ExerciseFiles

    hidden = tiny_course / "solutions" / "ch1" / "test_basics_hidden.py"
    hidden.write_text(hidden.read_text() + '''

@check(points=1)
def test_add_small_negative(student):
    """add(-2, 2) is 0, the hidden way."""
    expect.equal(student.add(-2, 2), 0, what="add(-2, 2)")
''')
    course = load_course(tiny_course)
    ex = course.exercise("ch1.basics")
    checks = collect_checks(course, ex.id)
    want = {(c.name, c.visible): c.doc for c in checks}
    assert want[("test_add_small", True)] == "add(2, 3) is 5."
    assert want[("test_add_small_negative", False)] == "add(-2, 2) is 0, the hidden way."
    results = run_checks(checks, local_student(ex.solution_path, ex, module_name="tg_titles_basics"),
                         reference_module=load_reference(ex), device="cpu", gpu_available=False)
    assert {(r.name, r.visible): r.title for r in results} == want
    settings = JudgeSettings(course_root=tiny_course, exercises=(ex.id,), device="cpu", submission_timeout=30,
                             check_timeout=3, gpu_policy="skip", memory_mb=512, max_processes=8,
                             output_limit_kb=64)
    judge = Judge(settings)      # a file not handed in starts no sandbox worker
    entry = judge.grade_exercise(ex, ExerciseFiles(ex.id, "missing", "not handed in"))
    assert {(c.name, c.visible): c.title for c in entry.check_results()} == want
    row = StudentResult("s", exercises={ex.id: dataclasses.replace(entry, status="graded")})
    text = feedback_md(_final(course, [row], [ex.id])[0], [ex.id], course)
    assert "add(2, 3) is 5. — " in text and "add(-2, 2) is 0, the hidden way. (hidden check) — " in text
