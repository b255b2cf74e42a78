"""Needs a person: one list (grader.reports.attention) from the final grades and the roster, the
end of `grader grade`'s output and the first screen of report.html. One gradebook of hw1 (the
real course) holds one student of every kind, and one whose grade needs nobody."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from markupsafe import escape
from rich.console import Console

from grader.course import load_course
from grader.grading.final import load_class
from grader.grading.gradebook import Gradebook
from grader.reports.attention import KINDS, needs_a_person
from grader.reports.html import write_class_report
from grader.reports.terminal import needs_a_person_lines
from grader.results import CheckResult, ExerciseResult, HandIn, StudentResult

ROOT = Path(__file__).resolve().parents[2]
ON_TIME, LATE = "2030-01-15T10:00:00+00:00", "2030-01-16T22:00:00+00:00"      # hw1 is due 2030-01-15T22:59Z
EVIL = "eve<img src=x onerror=alert(1)>"


def _entry(ex_id: str, points: float = 10, status: str = "passed", **fields) -> ExerciseResult:
    check = CheckResult(f"{ex_id}::test_all", "test_all", False, status, points, 10.0, title="everything")
    return ExerciseResult("graded", float(points), 10.0, source=f"{ex_id.replace('.', '/')}.py", checks=[check],
                          **fields)


def _row(student: str, softmax: ExerciseResult | None = None, dropout: ExerciseResult | None = None) -> StudentResult:
    return StudentResult(student, "folder", student, exercises={"ch3.softmax": softmax or _entry("ch3.softmax"),
                                                                "ch4.dropout": dropout or _entry("ch4.dropout")})


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("people") / "hw1"
    rows = [
        _row("fine"),
        _row("tamperer", _entry("ch3.softmax", tampering="torch.allclose was replaced\ntorch.exp was replaced")),
        _row("holder", _entry("ch3.softmax", findings=["line 12: uses torch.ops (outside the public API)",
                                                        "line 14: uses torch._C"])),
        _row("syntax", dropout=ExerciseResult("error", 0.0, 10.0, "syntax error in ch4/dropout.py line 3: invalid syntax",
                                               source="ch4/dropout.py", checks=[])),
        _row("sleeper", _entry("ch3.softmax", 5, "timeout")),
        _row("crasher", dropout=_entry("ch4.dropout", 0, "crashed")),
        _row("late"),
        _row("overridden", dropout=_entry("ch4.dropout", 4, "failed")),
        _row("stranger"),
        _row(EVIL, _entry("ch3.softmax", findings=["line 1: uses exec"])),
        StudentResult("nobody", "folder", "nobody", exercises={
            e: ExerciseResult("missing", 0.0, 10.0, "not handed in", checks=[]) for e in ("ch3.softmax", "ch4.dropout")}),
    ]
    with Gradebook(out / "gradebook.sqlite") as book:
        for r in rows:
            book.put(r)
        book.put_handins({r.student: HandIn(at=LATE if r.student == "late" else ON_TIME, source="times.csv")
                          for r in rows})
        book.set_override("overridden", "ch4.dropout", 7, "the mask was right", "ta")
        book.set_meta("assignment", "hw1")
        book.set_meta("roster", json.dumps({"file": "roster.csv", "unmatched": ["stranger"],
                                            "absent": [{"id": "ghost", "name": "Gus Ghost", "email": "", "section": ""}]}))
    return out


EXPECTED = {            # student -> its kinds, in the list's order: most urgent first, then by id
    "tamperer": ["tampering"], EVIL: ["held"], "holder": ["held"], "syntax": ["error"], "crasher": ["crashed"],
    "sleeper": ["timeout"], "ghost": ["roster"], "stranger": ["roster"], "nobody": ["nothing"], "late": ["late"],
    "overridden": ["override"],
}


def test_one_list_from_the_final_grades_and_the_roster(gradebook: Path) -> None:
    grades = load_class(gradebook, load_course(ROOT))
    people = needs_a_person(grades.rows, grades.roster, grades.exercise_ids)
    assert {p.student: p.kinds for p in people} == EXPECTED
    ranks = [min(list(KINDS).index(k) for k in p.kinds) for p in people]
    assert ranks == sorted(ranks) and [p.student for p in people] == list(EXPECTED)     # most urgent first
    by = {p.student: p for p in people}
    held = by["holder"].reasons[0]         # the first finding is in the line, the others beside it
    assert held.text == "ch3.softmax: held for review: line 12: uses torch.ops (outside the public API) (and 1 more)"
    assert held.detail == ("line 14: uses torch._C",)
    assert by["tamperer"].reasons[0].detail == ("torch.allclose was replaced", "torch.exp was replaced")
    assert by["late"].why == ["late 23.0 h: penalty 10 %"] and by["ghost"].graded is False
    assert by["syntax"].why == ["ch4.dropout: syntax error in ch4/dropout.py line 3: invalid syntax"]
    assert by["sleeper"].why == ["ch3.softmax: 1 check(s) timeout"]
    # the terminal prints the same list, one line a student
    console = Console(width=300, record=True, file=io.StringIO())
    for line in needs_a_person_lines(people):
        console.print(line, highlight=False)
    text = console.export_text()
    assert text.startswith(f"Needs a person ({len(EXPECTED)}):")
    assert [line.split(":")[0].strip() for line in text.splitlines()[1:]] == [p.student for p in people]
    assert "  late: late 23.0 h: penalty 10 %" in text and "  tamperer: ch3.softmax: the grader caught" in text


def test_the_report_opens_with_the_list(gradebook: Path) -> None:
    grades = load_class(gradebook, load_course(ROOT))
    write_class_report(grades)
    html = (gradebook / "report.html").read_text()
    first = html.split('<section id="attention">')[1].split("</section>")[0]
    assert html.index('<section id="attention">') < html.index('<section id="students">')
    found = re.findall(r'<tr class="attention" data-person="([^"]*)" data-kinds="([^"]*)">', first)
    assert [(s, k.split()) for s, k in found] == [(str(escape(s)), k) for s, k in EXPECTED.items()]
    assert "<img src=x" not in html                      # a student's id is text, everywhere
    # each line says why, with the finding's line, and links to the student's row and feedback
    assert "line 12: uses torch.ops (outside the public API)" in first and "torch.allclose was replaced" in first
    anchor = re.search(r'<tr id="(s\d+)" data-student="holder"', html).group(1)
    assert f'<a href="#{anchor}">holder</a>' in first and 'href="feedback/holder.html"' in first
    late = first.split('data-person="late"')[1].split("</tr>")[0]
    assert "18.00 / 20" in late and "late &minus;2.00" in late
    assert "ghost</td>" in first and "no hand-in" in first.split('data-person="ghost"')[1].split("</tr>")[0]
    assert '<tr class="attention" data-person="fine"' not in first and "nobody-to-see" not in first
    # the per-student table's note column is the same list
    row = html.split('data-student="overridden"')[1].split("</tr>")[0]
    assert "ch4.dropout: points set by ta on " in row and "the mask was right" in row
