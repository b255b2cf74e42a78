"""The roster: folder names to students, unmatched and absent listed, duplicates an error, Unicode kept."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from grader.grading.roster import Keys, RosterError, load_roster, map_hand_ins
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


def folder(name: str) -> Keys:
    """A folder's name may be any of the roster's keys."""
    return Keys("folders", (), (name,), (name,), (name,))


def test_unicode_ids_are_kept_nfc() -> None:
    decomposed = "Jose\u0301 Mari\u0301a N\u0303u\u0301n\u0303ez"       # as macOS names folders
    assert sanitize_id(decomposed) == "José_María_Ñúñez"
    assert sanitize_id("../evil") == "evil"


def test_mapping_by_name_email_and_id(roster: Path) -> None:
    students = load_roster(roster, COLUMNS)
    assert [s.id for s in students] == ["s001", "s002", "s003"]
    m = map_hand_ins({h: folder(h) for h in ("José_María_Ñúñez", "zoe.oster", "stranger")}, students)
    assert m.ids == {"José_María_Ñúñez": "s001", "zoe.oster": "s002"}
    assert m.unmatched == ["stranger"] and [s.id for s in m.absent] == ["s003"] and not m.problems


def test_two_hand_ins_of_one_student_are_those_students_error_naming_both(roster: Path) -> None:
    m = map_hand_ins({"s001": folder("s001"), "jose": folder("jose"), "zoe.oster": folder("zoe.oster")},
                     load_roster(roster, COLUMNS))
    for h in ("s001", "jose"):
        assert "'s001'" in m.problems[h] and "'jose'" in m.problems[h] and "\n" not in m.problems[h]
    assert m.ids == {"zoe.oster": "s002"}                # everyone else is mapped as usual
    assert m.clashes[0]["roster_id"] == "s001" and "s001" not in [s.id for s in m.absent]


def test_a_name_that_is_a_classmates_login_takes_nothing(tmp_path: Path) -> None:
    """Ids first, then emails, then local parts, then names: the folder `bob` is Bob (login bob),
    not the student whose roster name happens to be "bob"; and in no order of the rows."""
    for rows in (["s1,bob,mallory@uni.example,", "s2,Bob Stone,bstone@uni.example,bob"],
                 ["s2,Bob Stone,bstone@uni.example,bob", "s1,bob,mallory@uni.example,"]):
        path = tmp_path / "r.csv"
        path.write_text("id,name,email,login\n" + "\n".join(rows) + "\n")
        m = map_hand_ins({"bob": folder("bob"), "mallory": folder("mallory")}, load_roster(path))
        assert m.ids == {"bob": "s2", "mallory": "s1"}


def test_a_key_that_finds_two_rows_is_that_students_error(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("id,name,email\ns1,Ana Li,ana@a.example\ns2,Ana Li,ana.li@b.example\ns3,Ben Wu,ben@a.example\n")
    m = map_hand_ins({"Ana Li": folder("Ana Li"), "ben": folder("ben")}, load_roster(path))
    assert "matches 2 roster students by name (s1 (Ana Li), s2 (Ana Li))" in m.problems["Ana Li"]
    assert m.ids == {"ben": "s3"}


def test_canvas_and_moodle_gradebook_exports_are_rosters_as_they_come(tmp_path: Path) -> None:
    canvas = tmp_path / "canvas.csv"
    canvas.write_text("Student,ID,SIS User ID,SIS Login ID,Section,HW 1 (812)\n"
                      "    Points Possible,,,,,20\n"
                      "\"Smith, Bob\",48213,S100,bsmith,Section 1,\n"
                      "\"Øster, Zoë\",48214,S101,zoster,Section 2,\n")
    rows = load_roster(canvas)
    assert [(r.id, r.name, r.login, r.lms_id, r.lms) for r in rows] == [
        ("48213", "Smith, Bob", "bsmith", "48213", "canvas"), ("48214", "Øster, Zoë", "zoster", "48214", "canvas")]
    # Canvas's download names the user id (and squashes "Smith, Bob" to smithbob)
    m = map_hand_ins({"48213": Keys("canvas", ("48213",), (), (), ("smithbob",)),
                      "99": Keys("canvas", ("99",), (), (), ("østerzoë",))}, rows)
    assert m.ids == {"48213": "48213", "99": "48214"}
    moodle = tmp_path / "moodle.csv"
    moodle.write_text("First name,Last name,ID number,Institution,Department,Email address,"
                      "Assignment: HW 1 (Real),Last downloaded from this course\n"
                      "Bob,Smith,S100,Uni,Physics,bob.smith@uni.example,-,1700000000\n"
                      "Zoë,Øster,,Uni,Physics,zoe@uni.example,-,1700000000\n")
    rows = load_roster(moodle)
    assert [(r.id, r.name, r.email, r.section) for r in rows] == [
        ("S100", "Bob Smith", "bob.smith@uni.example", "Physics"), ("zoe@uni.example", "Zoë Øster", "zoe@uni.example", "Physics")]
    m = map_hand_ins({"5": Keys("moodle", ("5",), (), (), ("Bob Smith",)),
                      "6": Keys("moodle", ("6",), (), (), ("Zoë Øster",))}, rows)
    assert m.ids == {"5": "S100", "6": "zoe@uni.example"}


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
    out = tmp_path / "out2"
    proc = kit.run_grader(tiny_course, subs, "--out", out, "--only", "ch1.basics", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr               # those two students' error, not the run's
    assert "jose: submission could not be used: roster: two hand-ins are roster student 's001': 'jose' and " \
           "'José María Ñúñez'; keep one of them" in proc.stdout, proc.stdout
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert rows["s002"]["ch1.basics"] == "4" and "s001" not in rows
    assert rows["jose"]["ch1.basics status"].startswith("error") and "José_María_Ñúñez" in rows
