"""The clause table: every contract clause is charged by a check, and never twice by a visible
and a hidden check (grader.checks.clauses, `grader validate --clauses`)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from grader.checks import check
from grader.checks.clauses import clause_table
from grader.cli import main
from grader.course import load_course


def test_a_sound_table_has_no_problems(course_root):
    table = clause_table(load_course(course_root), "ch3.data")
    assert table.declared and not table.problems
    assert [c.name for c in table.charged["names"]] == ["test_text_labels"]


@pytest.mark.parametrize("file, old, new, problem", [
    # the hidden module forgets to charge a clause
    ("hidden", 'clause="split_errors"', 'clause="split_extremes"', "clause 'split_errors' is charged by no check"),
    # a visible and a hidden check charge the same clause: one slip would cost two checks
    ("visible", 'clause="names"', 'clause="index_error"', "clause 'index_error' is charged twice"),
    # a check charges a clause the contract does not declare
    ("visible", 'clause="names"', 'clause="nmes"', "charges clause 'nmes', which CLAUSES does not"),
    # a check that charges nothing
    ("visible", '@check(points=2, clause="names")', "@check(points=2)", "test_text_labels charges no clause"),
])
def test_validate_fails_on_an_unsound_table(one_exercise_course, file, old, new, problem):
    root = one_exercise_course("ch3.data")
    path = root / ("exercises/ch3/test_data.py" if file == "visible" else "solutions/ch3/test_data_hidden.py")
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    problems = clause_table(load_course(root), "ch3.data").problems
    assert any(problem in p for p in problems), problems
    result = CliRunner().invoke(main, ["--course", str(root), "validate", "--clauses"])
    assert result.exit_code == 1 and "problem:" in result.output


def test_the_cli_prints_clause_sentence_and_checks(course_root):
    result = CliRunner().invoke(main, ["--course", str(course_root), "validate", "--clauses", "--exercise", "ch3.data"])
    assert result.exit_code == 0, result.output
    assert "dataset_value_error" in result.output and "test_dataset_length_mismatch" in result.output
    assert "test_text_labels (visible)" in result.output


def test_clause_must_be_ids():
    with pytest.raises(ValueError):
        check(points=1, clause=("",))
    assert check(points=1, clause="a")(lambda: None).__grader_check__.clauses == ("a",)
