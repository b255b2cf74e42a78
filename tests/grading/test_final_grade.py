"""One final grade, computed once (grader.grading.final) and rendered everywhere: one gradebook
with an on-time, a late, an extended, an overridden, a held (and a held-then-accepted) student,
an LMS late marker without a time and an unknown time, rendered through every output; each
output must give each student the same final grade, worked out here by hand."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course import load_course
from grader.grading.final import load_class
from grader.grading.gradebook import Gradebook
from grader.results import CheckResult, ExerciseResult, HandIn, StudentResult

ROOT = Path(__file__).resolve().parents[2]
IDS = ["ch3.softmax", "ch4.dropout"]        # course.toml's hw1: 20 points, due 2030-01-15T22:59Z
ON_TIME, LATE_23H, BEFORE_EXTENSION = "2030-01-15T10:00:00+00:00", "2030-01-16T22:00:00+00:00", "2030-01-19T10:00:00+00:00"

# student -> (ch3.softmax points, ch4.dropout points, hand-in, expected final grade)
CLASS = {
    "ontime": (10, 10, HandIn(at=ON_TIME, source="times.csv"), 20),
    "late": (10, 6, HandIn(at=LATE_23H, source="times.csv"), 14.4),          # 16 - 10 % (one started day)
    "iris_extension": (10, 10, HandIn(at=BEFORE_EXTENSION, source="times.csv"), 20),   # late, but not for her
    "overridden": (4, 0, HandIn(at=ON_TIME, source="times.csv"), 11),       # ch4.dropout set to 7 by hand
    "held": (10, 10, HandIn(at=ON_TIME, source="times.csv"), 10),           # ch3.softmax held: counts 0
    "held_accepted": (10, 10, HandIn(at=ON_TIME, source="times.csv"), 20),  # ... until accepted
    "marked_late": (10, 10, HandIn(late=True, source="Canvas LATE marker", lms="canvas", lms_id="4711"), 18),
    "no_time": (10, 10, HandIn(source="unknown: folders carry only extraction times"), 20),
}


def _entry(ex_id: str, points: float, findings: list[str] | None = None) -> ExerciseResult:
    check = CheckResult(f"{ex_id}::test_all", "test_all", False, "passed" if points == 10 else "failed",
                        points, 10.0, title="everything")
    return ExerciseResult("graded", float(points), 10.0, source=f"{ex_id.replace('.', '/')}.py", checks=[check],
                          findings=findings or [])


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("final") / "hw1"
    with Gradebook(out / "gradebook.sqlite") as book:
        for student, (softmax, dropout, handin, _) in CLASS.items():
            findings = ["line 3: uses torch.ops (an operator outside the public API)"] if student.startswith("held") else []
            book.put(StudentResult(student, "folder", student, exercises={
                "ch3.softmax": _entry("ch3.softmax", softmax, findings), "ch4.dropout": _entry("ch4.dropout", dropout)}))
        book.put_handins({s: c[2] for s, c in CLASS.items()})
        book.set_override("overridden", "ch4.dropout", 7, "regrade: the mask was right", "ta")
        book.set_review("held_accepted", "ch3.softmax", "accept", "torch.ops.aten.add is harmless", "ta")
        book.set_meta("assignment", "hw1")
        book.set_meta("exercises", json.dumps(IDS))
    return out


def _expected() -> dict[str, float]:
    return {s: c[3] for s, c in CLASS.items()}


def _finals_everywhere(out: Path) -> dict[str, dict[str, float]]:
    """output -> student -> the final grade that output shows."""
    from rich.console import Console

    from grader.export.gradescope import results_json
    from grader.reports.outputs import refresh
    from grader.reports.terminal import summary_table

    course = load_course(ROOT)
    grades, _ = refresh(out, course)
    found: dict[str, dict[str, float]] = {}
    console = Console(width=250, record=True, file=io.StringIO())
    console.print(summary_table(grades.rows, grades.exercise_ids, "T"))
    found["terminal"] = {m.group(1): float(m.group(2)) for m in
                         re.finditer(r"│ (\w+)\s+│.*?│\s+([\d.]+)/20(?: \(late -[\d.]+\))? │", console.export_text())}
    with open(out / "grades.csv", newline="") as fh:
        found["grades.csv"] = {r["student"]: float(r["total"]) for r in csv.DictReader(fh)}
    doc = json.loads((out / "grades.json").read_text())
    found["grades.json"] = {s["student"]: s["total"] for s in doc["students"]}
    found["grades.json grade"] = {s["student"]: s["grade"]["final"] for s in doc["students"]}
    for kind in ("md", "html"):
        found[f"feedback .{kind}"] = {}
        for student in CLASS:
            text = (out / "feedback" / f"{student}.{kind}").read_text()
            found[f"feedback .{kind}"][student] = float(re.search(r"Final grade: ([\d.]+) / 20 points", text).group(1))
    html = (out / "report.html").read_text()
    found["report.html"] = {m.group(1): float(m.group(2))
                            for m in re.finditer(r'data-student="(\w+)" data-final="([\d.]+)"', html)}
    for system in ("canvas", "moodle"):
        done = CliRunner().invoke(main, ["--course", str(ROOT), "export", system, str(out),
                                         "--to", str(out.parent / f"{system}.csv")])
        assert done.exit_code == 0, done.output
        with open(out.parent / f"{system}.csv", newline="") as fh:
            table = list(csv.reader(fh))
        name = table[0].index("hw1")
        who = table[0].index("SIS Login ID" if system == "canvas" else "Username")
        found[f"{system} export"] = {r[who]: float(r[name]) for r in table[1:] if r[0] != "Points Possible"}
    found["gradescope results.json"] = {r.student: results_json(r, course=course)["score"] for r in grades.rows}
    return found


def test_every_output_gives_every_student_the_same_final_grade(gradebook: Path) -> None:
    expected = _expected()
    found = _finals_everywhere(gradebook)
    assert len(found) == 10
    for output, finals in found.items():
        assert finals == pytest.approx(expected), output


def test_the_parts_of_the_grade_are_stated_beside_it(gradebook: Path) -> None:
    rows = {r["student"]: r for r in csv.DictReader(open(gradebook / "grades.csv", newline=""))}
    assert (rows["late"]["raw"], rows["late"]["penalty"], rows["late"]["total"]) == ("16", "1.6", "14.4")
    assert (rows["held"]["withheld"], rows["held"]["ch3.softmax status"]) == ("10", "held for review")
    assert rows["held_accepted"]["ch3.softmax status"] == "review: accepted"
    assert (rows["overridden"]["by_hand"], rows["overridden"]["ch4.dropout status"]) == ("7", "override")
    assert rows["no_time"]["lateness"].startswith("time unknown") and rows["no_time"]["penalty"] == "0"
    assert "smallest penalty" in rows["marked_late"]["lateness"] and rows["marked_late"]["penalty"] == "2"
    assert "iris_extension" not in rows["late"]["needs_a_person"]
    assert rows["iris_extension"]["lateness"].startswith("on time")
    feedback = (gradebook / "feedback" / "held.md").read_text()
    assert "held for review: line 3: uses torch.ops" in feedback and "counts 0 points" in feedback
    overridden = (gradebook / "feedback" / "overridden.md").read_text()
    assert overridden.count("points set by ta") == 1 and "scores 0" not in overridden


def test_a_decision_rewrites_every_output_at_once(gradebook: Path, tmp_path: Path) -> None:
    import shutil
    out = tmp_path / "hw1"
    shutil.copytree(gradebook, out)
    before = {p: (out / p).read_text() for p in ("report.html", "feedback/held.html", "grades.csv")}
    done = CliRunner().invoke(main, ["--course", str(ROOT), "review", "accept", "held", "ch3.softmax",
                                     "--reason", "fine", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "final grade 20 / 20" in done.output
    for name, text in before.items():
        assert (out / name).read_text() != text, name
    assert _finals_everywhere(out)["report.html"]["held"] == 20
    done = CliRunner().invoke(main, ["--course", str(ROOT), "review", "reject", "ontime", "ch3.softmax",
                                     "--reason", "x", "--out", str(out)])
    assert done.exit_code == 2 and "no finding" in done.output
    done = CliRunner().invoke(main, ["--course", str(ROOT), "override", "nobody", "ch3.softmax", "3",
                                     "--reason", "x", "--out", str(out)])
    assert done.exit_code == 2 and "no student 'nobody'" in done.output


# ---------------------------------------------------------------------------- runs into one --out

def _students(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="") as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def test_a_partial_run_never_narrows_the_outputs(tiny_course: Path, tmp_path: Path, kit) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    for name in ("ann", "ben"):
        kit.write(subs / name / "ch1" / "basics.py", kit.SOLUTION)
        kit.write(subs / name / "ch2" / "twice.py", kit.TWICE)
    done = kit.run_grader(tiny_course, subs, "--out", out)
    assert done.returncode == 0, done.stdout + done.stderr
    whole = _students(out)
    assert set(whole["ann"]) >= {"ch1.basics", "ch2.twice"} and whole["ann"]["total"] == "6"
    # --only and --student choose what is graded, not what is reported
    for args in (("--only", "ch1.basics"), ("--student", "ben")):
        done = kit.run_grader(tiny_course, subs, "--out", out, *args)
        assert done.returncode == 0, done.stdout + done.stderr
        assert _students(out) == whole, args
        assert sorted(p.name for p in (out / "feedback").glob("*.md")) == ["ann.md", "ben.md"]
    # a new student graded on one exercise only shows the other as not graded, never dropped
    kit.write(subs / "cat" / "ch1" / "basics.py", kit.SOLUTION)
    done = kit.run_grader(tiny_course, subs, "--out", out, "--only", "ch1.basics")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = _students(out)
    assert rows["cat"]["ch2.twice status"] == "not graded" and rows["cat"]["total"] == "4"
    assert rows["ann"] == whole["ann"] and "ch2.twice: not graded yet" in rows["cat"]["needs_a_person"]


def test_another_class_into_the_same_out_is_an_error_unless_replaced(tiny_course: Path, tmp_path: Path, kit) -> None:
    first, second, out = tmp_path / "first", tmp_path / "second", tmp_path / "out"
    kit.write(first / "ann" / "ch1" / "basics.py", kit.SOLUTION)
    kit.write(second / "zed" / "ch1" / "basics.py", kit.WRONG)
    assert kit.run_grader(tiny_course, first, "--out", out, "--only", "ch1.basics").returncode == 0
    with Gradebook(out / "gradebook.sqlite") as book:
        book.set_override("ann", "ch1.basics", 1, "kept for a class that comes back", "ta")
    done = kit.run_grader(tiny_course, second, "--out", out, "--only", "ch1.basics")
    assert done.returncode == 2
    assert str(first.resolve()) in done.stderr and str(second.resolve()) in done.stderr and "--replace" in done.stderr
    assert set(_students(out)) == {"ann"} and (out / "feedback" / "ann.md").is_file()      # nothing lost
    done = kit.run_grader(tiny_course, second, "--out", out, "--only", "ch1.basics", "--replace")
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(_students(out)) == {"zed"} and not (out / "feedback" / "ann.md").exists()
    done = kit.run_grader(tiny_course, first, "--out", out, "--only", "ch1.basics", "--replace")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _students(out)["ann"]["ch1.basics status"] == "override"       # the decision came back with her
