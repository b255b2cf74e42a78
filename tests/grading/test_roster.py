"""The roster: folder names to students, unmatched and absent listed, duplicates an error, Unicode kept."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from grader.grading.roster import RosterError, load_roster, map_submissions
from grader.grading.submissions import sanitize_id

ROSTER = """\
SIS ID,Full name,E-mail,Section
s001,José María Ñúñez,jose@uni.example,A
s002,Zoë Øster,zoe.oster@uni.example,B
s003,Absent Person,absent@uni.example,A
"""


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


COLUMNS = {"id": "SIS ID", "name": "Full name", "email": "E-mail", "section": "Section"}


def test_unicode_ids_are_kept_nfc() -> None:
    decomposed = "Jose\u0301 Mari\u0301a N\u0303u\u0301n\u0303ez"       # as macOS names folders
    assert sanitize_id(decomposed) == "José_María_Ñúñez"
    assert sanitize_id("../evil") == "evil"


def test_mapping_by_name_email_and_id(roster: Path) -> None:
    students = load_roster(roster, COLUMNS)
    assert [s.id for s in students] == ["s001", "s002", "s003"]
    m = map_submissions(["José_María_Ñúñez", "zoe.oster", "stranger"], students)
    assert m.ids == {"José_María_Ñúñez": "s001", "zoe.oster": "s002", "stranger": "stranger"}
    assert m.unmatched == ["stranger"] and [s.id for s in m.absent] == ["s003"]


def test_two_submissions_of_one_student_is_an_error_naming_both(roster: Path) -> None:
    with pytest.raises(RosterError) as err:
        map_submissions(["s001", "jose"], load_roster(roster, COLUMNS))
    assert "'s001'" in str(err.value) and "'jose'" in str(err.value) and "\n" not in str(err.value)


def test_bad_roster_is_one_line(roster: Path) -> None:
    with pytest.raises(RosterError, match="no column 'id'.*--roster-column id=HEADER"):
        load_roster(roster)
    with pytest.raises(RosterError, match="unknown field"):
        load_roster(roster, {"idd": "x"})


def test_grade_with_roster_lists_unmatched_and_absent(tiny_course: Path, tmp_path: Path, roster: Path,
                                                      kit) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    kit.write(subs / "José María Ñúñez" / "ch1" / "basics.py", kit.SOLUTION)
    kit.write(subs / "zoe.oster@uni.example" / "ch1" / "basics.py", kit.SOLUTION)
    kit.write(subs / "stranger" / "ch1" / "basics.py", kit.SOLUTION)
    args = ["--roster", roster] + [a for k, v in COLUMNS.items() for a in ("--roster-column", f"{k}={v}")]
    proc = kit.run_grader(tiny_course, subs, "--out", out, "--only", "ch1.basics", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "stranger: not on the roster" in proc.stdout
    assert "s003: on the roster (Absent Person), handed in nothing" in proc.stdout
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        assert sorted(r["student"] for r in csv.DictReader(fh)) == ["s001", "s002", "stranger"]
    doc = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    assert doc["metadata"]["roster"]["absent"][0]["id"] == "s003"
    s001 = next(s for s in doc["students"] if s["student"] == "s001")
    assert s001["handin"]["name"] == "José María Ñúñez"
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "stranger" in report and "Absent Person" in report

    kit.write(subs / "jose" / "ch1" / "basics.py", kit.SOLUTION)        # a second hand-in of s001
    proc = kit.run_grader(tiny_course, subs, "--out", out, "--only", "ch1.basics", *args)
    assert proc.returncode != 0, proc.stdout
    assert "'José María Ñúñez' and 'jose'" in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
