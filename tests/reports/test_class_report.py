"""report.html, its figures and rendered feedback from a synthetic gradebook, and every kind of
bad input: an empty gradebook, an older one, a student who handed in nothing, no gradebook."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main
from grader.course import load_course
from grader.grading.gradebook import Gradebook
from grader.grading.final import load_class
from grader.reports.html import write_class_report

SECTIONS = ("attention", "students", "overview", "exercises", "items", "failures", "similarity")


def _cli(course: Path, *args: str):
    return CliRunner().invoke(main, ["--course", str(course), *map(str, args)])


def test_report_sections_embedded_figures_and_feedback_pages(tiny_course: Path, tmp_path: Path, rk) -> None:
    out = rk.write_gradebook(tmp_path / "out", rk.rows_with_a_copy())
    result = write_class_report(load_class(out, load_course(tiny_course)))
    html = (out / "report.html").read_text()
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    assert html.index('<section id="attention">') < html.index('<section id="students">') < html.index('<section id="overview">')
    assert result.students == 5 and "students graded<b>5</b>" in html
    # self-contained: every image is inline, nothing is fetched from anywhere
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<link" not in html
    images = re.findall(r'<img class="figure" id="fig-(\w+)" src="data:image/png;base64,', html)
    assert set(images) == {"totals", "exercise_scores", "exercise_outcomes", "similarity"}   # no item map at n = 4
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(f"{n}.png" for n in images)
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in (out / "figures").iterdir())
    # four students handed ch1.basics in: no item analysis, the rule says why
    assert 'id="items-hidden"' in html and "at least <b>20</b> students" in html
    items = html.split('<section id="items">')[1].split("</section>")[0]
    assert 'id="item-table"' not in items and "negative point-biserial" not in items and "negative discrimination" not in items
    # why checks fail: one line per reason, the most students first, where it was met beside it
    failing = html.split('id="failure-table"')[1].split("</table>")[0]
    assert re.search(r"<code>shape \(4, 1\) expected \(4,\)</code>.*?<td class=\"num\">2</td><td class=\"num\">2</td>"
                     r"\s*<td class=\"where\"[^>]*>ch1\.basics: check a</td>", failing, re.S)
    assert failing.index("got 3 expected 4") < failing.index("wrong sign")    # 2 students before 1
    # similarity: the renamed copy is one group, with its side-by-side diff
    assert re.search(r'<td class="id">ch1\.basics</td><td>s1, s2</td><td class="num">1\.00</td>', html)
    assert 'class="diff"' in html
    # needs a person: s5 handed in nothing, first on the page, linked to its row
    attention = html.split('id="attention-table"')[1].split("</table>")[0]
    assert 'data-person="s5" data-kinds="nothing"' in attention and 'href="#s5"' in attention
    assert '<tr id="s5" data-student="s5" data-final="0.0">' in html
    # per student: a row each, linking to rendered feedback, the note filled from the same list
    assert 'href="feedback/s1.html"' in html and html.count("handed in nothing: every exercise missing") == 2
    page = (out / "feedback" / "s1.html").read_text()
    assert "<h1>Feedback for s1</h1>" in page and "<table>" in page and "report.html" not in page


def test_student_ids_are_escaped_and_linked_safely(tiny_course: Path, tmp_path: Path, rk) -> None:
    rows = rk.hand_rows()
    rows[4]["student"] = rows[4]["source"] = 'x"><script>alert(1)</script>?#'
    out = rk.write_gradebook(tmp_path / "out", rows)
    write_class_report(load_class(out, load_course(tiny_course)))
    html = (out / "report.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the feedback page's file name is the id made file-safe, its link that name URL-quoted
    assert 'href="feedback/x___script_alert%281%29__script__%23.html"' in html
    assert (out / "feedback" / "x___script_alert(1)__script__#.html").is_file()


def test_grade_run_ends_with_the_report(tiny_course: Path, tmp_path: Path, rk) -> None:
    kit = rk._kit()
    subs = tmp_path / "subs"
    kit.write(subs / "alice" / "ch1" / "basics.py", kit.SOLUTION)
    kit.write(subs / "bob" / "ch1" / "basics.py", kit.SOLUTION.replace("a + b", "b + a"))
    kit.write(subs / "nobody" / "README.txt", "I handed in nothing")
    done = kit.run_grader(tiny_course, subs, "--out", tmp_path / "out", "--jobs", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    html = (tmp_path / "out" / "report.html").read_text()
    assert all(f'<section id="{s}">' in html for s in SECTIONS)
    assert "nobody" in html and "handed in nothing" in html
    book = sqlite3.connect(tmp_path / "out" / "gradebook.sqlite")
    row = json.loads(book.execute("SELECT result FROM students WHERE student = 'alice'").fetchone()[0])
    assert row["exercises"]["ch1.basics"]["code"] == kit.SOLUTION     # the report needs no submissions folder
    assert json.loads(dict(book.execute("SELECT key, value FROM meta"))["last_run"])["graded"] == 3


def test_empty_gradebook_gives_a_report_that_says_so(tiny_course: Path, tmp_path: Path) -> None:
    Gradebook(tmp_path / "out" / "gradebook.sqlite").close()
    done = _cli(tiny_course, "report", tmp_path / "out")
    assert done.exit_code == 0, done.output
    assert "holds no graded student yet" in done.output
    html = (tmp_path / "out" / "report.html").read_text()
    assert 'id="empty-gradebook"' in html and all(f'<section id="{s}">' in html for s in SECTIONS)


def test_older_rows_still_report(tiny_course: Path, tmp_path: Path, rk) -> None:
    rows = rk.hand_rows()
    for r in rows[:2]:          # written before per-check results, summaries and code were kept
        entry = r["exercises"]["ch1.basics"]
        del entry["checks"], entry["code"]
    for c in rows[2]["exercises"]["ch1.basics"]["checks"]:
        del c["summary"]
    del rows[3]["facts"]
    out = rk.write_gradebook(tmp_path / "out", rows)
    done = _cli(tiny_course, "report", out)
    assert done.exit_code == 0, done.output
    assert "older gradebook without per-check results" in done.output
    assert "graded before the gradebook kept code" in (out / "report.html").read_text()


def test_bad_gradebooks_are_one_line(tiny_course: Path, tmp_path: Path) -> None:
    done = _cli(tiny_course, "report", tmp_path / "nothing-here")
    assert done.exit_code == 2 and "no gradebook at" in done.output and "Traceback" not in done.output
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "gradebook.sqlite").write_bytes(b"not sqlite" * 200)
    done = _cli(tiny_course, "report", tmp_path / "junk")
    assert done.exit_code == 2 and "not a usable gradebook" in done.output
    Gradebook(tmp_path / "old" / "gradebook.sqlite").close()
    db = sqlite3.connect(tmp_path / "old" / "gradebook.sqlite")
    db.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    db.commit()
    db.close()
    done = _cli(tiny_course, "report", tmp_path / "old")
    assert done.exit_code == 2 and "another version of the grader (schema 0" in done.output


def test_the_same_gradebook_gives_the_same_report(tiny_course: Path, tmp_path: Path, rk) -> None:
    out = rk.write_gradebook(tmp_path / "out", rk.rows_with_a_copy())
    course = load_course(tiny_course)
    write_class_report(load_class(out, course))
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.suffix in (".html", ".png")}
    (out / "feedback" / "s1.html").unlink()                     # rendered again, the same
    write_class_report(load_class(out, course))
    second = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.suffix in (".html", ".png")}
    assert first == second and len(first) == 1 + 4 + 5


def test_item_analysis_shows_from_twenty_students(tiny_course: Path, tmp_path: Path, rk) -> None:
    out = rk.write_gradebook(tmp_path / "out", rk.class_of_24())
    write_class_report(load_class(out, load_course(tiny_course)))
    items = (out / "report.html").read_text().split('<section id="items">')[1].split("</section>")[0]
    assert 'id="items-hidden"' not in items and 'id="fig-items"' in items
    flagged = items.split('id="item-table"')[1].split("</table>")[0]
    assert "check bad" in flagged and "negative point-biserial" in flagged and "check b<" not in flagged
    assert "<h3>Flagged: 2 of 3 check(s)</h3>" in items        # bad, and a (its rest is b + bad)


def test_the_report_is_drawn_again_when_its_template_changes(tiny_course: Path, tmp_path: Path, rk,
                                                              monkeypatch) -> None:
    """write_outputs skips a report whose digest is current; the digest covers the report's code
    and its Jinja template, so a changed template is drawn again, not left stale."""
    from grader.reports import outputs

    code = tmp_path / "code"
    code.mkdir()
    (code / "html.py").write_text("# the report's code\n")
    (code / "report.html.j2").write_text("<p>{{ title }}</p>\n")
    monkeypatch.setattr(outputs, "_REPORT_CODE", (code,))
    grades = load_class(rk.write_gradebook(tmp_path / "out", rk.rows_with_a_copy()), load_course(tiny_course))
    before = outputs.report_digest(grades)
    assert outputs.report_digest(grades) == before
    (code / "report.html.j2").write_text("<h1>{{ title }}</h1>\n")
    assert outputs.report_digest(grades) != before
