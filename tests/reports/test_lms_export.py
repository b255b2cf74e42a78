"""Canvas and Moodle CSV exports from a gradebook, read back as a spreadsheet would."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main

ROSTER = (
    "Student,ID,SIS User ID,SIS Login ID,Section\n"
    "    Points Possible,,,,\n"
    '"One, Sam",101,S101,s1,Mon\n'
    '"Two, Sue",102,S102,S2,Tue\n'
    '"=Evil, Eve",103,S103,ghost,Tue\n'
)


def _run(course: Path, *args) -> tuple[int, str]:
    done = CliRunner().invoke(main, ["--course", str(course), *map(str, args)])
    return done.exit_code, done.output


def _read(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_canvas_without_roster(tiny_course: Path, tmp_path: Path, rk) -> None:
    out = rk.write_gradebook(tmp_path / "out", rk.hand_rows())
    code, text = _run(tiny_course, "export", "canvas", out, "--to", tmp_path / "canvas.csv")
    assert code == 0, text
    table = _read(tmp_path / "canvas.csv")
    # one column, the final grade: what an LMS import must receive
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "torchgrade"]
    assert table[1] == ["Points Possible", "", "", "", "", "6"]
    assert table[2] == ["s1", "", "", "s1", "", "3"]
    assert [r[0] for r in table[2:]] == ["s1", "s2", "s3", "s4", "s5"]      # s5 handed in nothing: 0, not dropped
    assert table[-1][5:] == ["0"]
    code, text = _run(tiny_course, "export", "canvas", out, "--to", tmp_path / "by.csv", "--by", "exercise")
    assert code == 0, text
    table = _read(tmp_path / "by.csv")
    assert table[0][5:] == ["ch1.basics", "ch2.twice", "torchgrade (final)"] and table[2][5:] == ["3", "0", "3"]


def test_canvas_roster_maps_ids_and_lists_the_unknown(tiny_course: Path, tmp_path: Path, rk) -> None:
    out = rk.write_gradebook(tmp_path / "out", rk.hand_rows())
    (tmp_path / "roster.csv").write_text(ROSTER)
    code, text = _run(tiny_course, "export", "canvas", out, "--to", tmp_path / "c.csv",
                      "--roster", tmp_path / "roster.csv", "--by", "chapter")
    assert code == 0, text
    table = _read(tmp_path / "c.csv")
    assert table[0][5:] == ["ch1", "ch2", "torchgrade (final)"] and table[1][5:] == ["4", "2", "6"]
    assert table[2] == ["One, Sam", "101", "S101", "s1", "Mon", "3", "0", "3"]
    assert table[3] == ["Two, Sue", "102", "S102", "S2", "Tue", "2", "0", "2"]      # matched case-insensitively
    assert [r[0] for r in table[4:]] == ["s3", "s4", "s5"]                       # not in the roster: still there
    assert "not in the roster (3)" in text and "s3, s4, s5" in text
    assert "in the roster but not graded (1): ghost" in text


def test_the_roster_grade_took_works_for_the_export(tiny_course: Path, tmp_path: Path, rk) -> None:
    """`grade --roster` takes id,name,email,section; the export takes the same file as it is."""
    out = rk.write_gradebook(tmp_path / "out", rk.hand_rows())
    (tmp_path / "roster.csv").write_text("id,name,email,section\ns1,Sam One,sam@uni.edu,Mon\n"
                                         "s2,Sue Two,sue@uni.edu,Tue\n")
    for extra in ([], ["--roster-key", "id"]):
        code, text = _run(tiny_course, "export", "canvas", out, "--to", tmp_path / "c.csv",
                          "--roster", tmp_path / "roster.csv", *extra)
        assert code == 0, text
        table = _read(tmp_path / "c.csv")
        assert table[2] == ["Sam One", "", "", "s1", "Mon", "3"] and table[3][4] == "Tue"
    code, text = _run(tiny_course, "export", "moodle", out, "--to", tmp_path / "m.csv", "--roster", tmp_path / "roster.csv")
    assert code == 0, text
    table = _read(tmp_path / "m.csv")
    assert table[0] == ["First name", "Last name", "Username", "id", "torchgrade"]
    assert table[1][2:] == ["s1", "s1", "3"]


def test_moodle_export_and_roster_errors(tiny_course: Path, tmp_path: Path, rk) -> None:
    out = rk.write_gradebook(tmp_path / "out", rk.hand_rows())
    code, text = _run(tiny_course, "export", "moodle", out, "--to", tmp_path / "m.csv")
    assert code == 0, text
    table = _read(tmp_path / "m.csv")
    assert table[0] == ["First name", "Last name", "Username", "torchgrade"] and table[1][2:] == ["s1", "3"]
    (tmp_path / "roster.csv").write_text(ROSTER)
    code, text = _run(tiny_course, "export", "moodle", out, "--to", tmp_path / "m.csv", "--roster", tmp_path / "roster.csv",
                      "--roster-key", "Username")
    assert code == 2 and "no column 'Username'" in text and "--roster-key" in text
    code, text = _run(tiny_course, "export", "canvas", out, "--to", tmp_path / "x.csv", "--roster", tmp_path / "nope.csv")
    assert code == 2 and "no such file" in text
    code, text = _run(tiny_course, "export", "canvas", tmp_path / "empty", "--to", tmp_path / "x.csv")
    assert code == 2 and "no gradebook at" in text


def test_points_set_by_hand_are_exported(tiny_course: Path, tmp_path: Path, rk) -> None:
    from grader.grading.gradebook import Gradebook
    out = rk.write_gradebook(tmp_path / "out", rk.hand_rows())
    with Gradebook(out / "gradebook.sqlite") as book:
        book.set_override("s1", "ch2.twice", 1.5, reason="regraded by hand", by="ta")
    code, text = _run(tiny_course, "export", "canvas", out, "--to", tmp_path / "canvas.csv", "--by", "exercise")
    assert code == 0, text
    table = _read(tmp_path / "canvas.csv")
    assert table[2][:1] == ["s1"] and table[2][5:] == ["3", "1.5", "4.5"]   # ch2.twice was 0 by the checks
