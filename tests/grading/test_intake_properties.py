"""One student's data never stops the class, as properties: whatever junk one student's hand-in,
name, metadata, dates, zip headers, roster row or times row holds, `collect` returns and every
good student is there, their files ready to grade; and `grader grade` writes grades.csv with every
good student in it."""

from __future__ import annotations

import csv
import io
import shutil
import struct
import tempfile
import unicodedata
import zipfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from grader.course import load_course
from grader.grading.intake import collect
from grader.grading.submissions import sanitize_id



def _helper(file: str):
    """kit.py / lms_downloads.py, loaded by path as conftest.load_module does (no fixtures in
    Hypothesis's strategies)."""
    import importlib.util
    import sys
    spec = importlib.util.spec_from_file_location(f"grading_test_{file[:-3]}", Path(__file__).with_name(file))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


KIT = _helper("kit.py")
LMS = _helper("lms_downloads.py")
GOOD = ("good01", "good02")
EX = "ch1.basics"
FAST = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return load_course(KIT.make_course(tmp_path_factory.mktemp("tiny") / "course"))


def _no_good(text: object) -> bool:
    """Junk that does not name a good student (a junk hand-in that does is a clash by design)."""
    flat = "".join(ch for ch in unicodedata.normalize("NFKC", str(text)).casefold() if ch.isalnum())
    return "good" not in flat


# ---------------------------------------------------------------------------- strategies

junk_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
# dates as LMSs, spreadsheets and typos write them, including ones that overflow when converted
junk_dates = st.one_of(
    junk_text, st.integers(), st.floats(allow_nan=True), st.none(), st.booleans(),
    st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0000-00-00 00:00:00",
                     "2030-02-30T10:00:00Z", "2030-01-15 25:61:00 UTC", "-1", "1e309", "NaN",
                     "2030-01-15T10:00:00+25:00", "Tuesday, 31 February 2030, 10:15 AM"]),
    st.datetimes().map(lambda d: d.isoformat()))
yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), junk_text, junk_dates),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from([":name", ":sid", ":email", ":created_at",
                                                             ":submitters", ":history", "x"]) | junk_text,
                                            inner, max_size=4)),
    max_leaves=12)
file_names = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="/\x00"),
                     min_size=1, max_size=40).filter(
    lambda n: n not in (".", "..") and len(n.encode()) < 200 and not n.startswith("."))


def _zip_with(members: list[tuple[str, bytes, int, int, tuple]], compression: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data, flags, attr, date in members:
            info = zipfile.ZipInfo(name, date_time=date)
            info.external_attr = attr
            zf.writestr(info, data)
            info.flag_bits |= flags
    return buffer.getvalue()


zip_members = st.lists(st.tuples(
    st.one_of(st.just("ch1/basics.py"), file_names, st.sampled_from(["../x.py", "/abs.py", "a\\b.py", "d/"])),
    st.binary(max_size=200) | st.just(KIT.SOLUTION.encode()),
    st.sampled_from([0, 0, 0x1, 0x8]),
    st.sampled_from([0, 0o100644 << 16, 0o120777 << 16, 0o040755 << 16]),
    st.sampled_from([(1980, 0, 0, 0, 0, 0), (1980, 1, 1, 0, 0, 0), (2107, 12, 31, 23, 59, 58)])),
    max_size=5)


@st.composite
def junk_zips(draw) -> bytes:
    """A zip as odd tools write it (DOS date 0, flags, links, odd names), then maybe damaged."""
    compression = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                                        zipfile.ZIP_LZMA]))
    data = bytearray(_zip_with(draw(zip_members), compression))
    for _ in range(draw(st.integers(0, 4))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()) and len(data) > 30:     # a central directory that lies about sizes
        data[-10:-6] = struct.pack("<I", draw(st.integers(0, 2**32 - 1)))
    return bytes(data)


# ---------------------------------------------------------------------------- helpers

def _good_folders(root: Path) -> None:
    for g in GOOD:
        KIT.write(root / g / "ch1" / "basics.py", KIT.SOLUTION)


def _assert_good(intake, ids=GOOD) -> None:
    """Every good student is there, whole, files ready to grade."""
    found = {s.student: s for s in getattr(intake, "submissions", intake)}
    for g in ids:
        assert g in found, (g, sorted(found))
        assert not found[g].problem, found[g].problem
        assert found[g].exercises[EX].status == "ok", found[g].exercises[EX]


class _Scratch:
    def __enter__(self) -> Path:
        self.path = Path(tempfile.mkdtemp(prefix="tg-prop-"))
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


# ---------------------------------------------------------------------------- properties of collect

@FAST
@given(name=file_names, content=st.one_of(st.binary(max_size=300), st.just(KIT.SOLUTION.encode())),
       as_zip=st.booleans())
def test_any_name_and_content_of_one_student(course, name: str, content: bytes, as_zip: bool) -> None:
    assume(_no_good(sanitize_id(name)))
    with _Scratch() as root:
        _good_folders(root)
        try:
            target = root / (name + ".zip" if as_zip else name) / ("" if as_zip else "ch1/basics.py")
            KIT.write(target if not as_zip else root / (name + ".zip"), content)
        except OSError:
            assume(False)          # a name this file system cannot hold is not a hand-in
        _assert_good(collect(course, root, list(course.exercises.values())))


@FAST
@given(data=junk_zips())
def test_any_zip_header(course, data: bytes) -> None:
    with _Scratch() as root:
        _good_folders(root)
        (root / "junk.zip").write_bytes(data)
        _assert_good(collect(course, root, list(course.exercises.values())))
        # the same junk zip as a student's upload inside a Canvas download
        LMS.canvas_zip(root / "canvas.zip", [LMS.CanvasStudent(g, 100 + i, 900 + i, files={"basics.py": KIT.SOLUTION})
                                             for i, g in enumerate(GOOD)],
                       extra={"junkstudent_999_999_handin.zip": data})
        _assert_good(collect(course, root / "canvas.zip", list(course.exercises.values())), ids=("100", "101"))


@FAST
@given(entry=yaml_values, created=junk_dates, raw=st.one_of(st.none(), junk_text))
def test_any_gradescope_metadata(course, entry: object, created: object, raw: str | None) -> None:
    assume(_no_good(entry) and _no_good(raw))
    good = [LMS.GradescopeSubmission(10 + i, [(f"Good {i}", g, f"{g}@uni.example")], "2030-01-15 10:00:00.0 Z",
                                     {"basics.py": KIT.SOLUTION}) for i, g in enumerate(GOOD)]
    text = LMS.gradescope_metadata(good)
    try:
        text += yaml.safe_dump({"submission_99": entry, "submission_98": {":created_at": created,
                                                                           ":submitters": [{":sid": "x"}]}})
    except yaml.YAMLError:
        assume(False)
    if raw is not None:
        text += raw            # whatever follows: the file may not even be YAML any more
    with _Scratch() as root:
        LMS.gradescope_zip(root / "g.zip", good + [LMS.GradescopeSubmission(99, [], "", {"basics.py": "x"}),
                                                   LMS.GradescopeSubmission(98, [], "", {"basics.py": "x"})],
                           metadata=text)
        intake = collect(course, root / "g.zip", list(course.exercises.values()))
        if any("could not be read" in w for w in intake.warnings):
            # the file as a whole is not YAML: nobody's name is known, everyone is graded by folder
            assert raw is not None
            _assert_good(intake, ids=("submission_10", "submission_11"))
        else:
            _assert_good(intake)
            found = {s.student: s for s in intake.submissions}
            assert all(found[g].handin.at == "2030-01-15T10:00:00+00:00" for g in GOOD)


@FAST
@given(rows=st.lists(st.lists(junk_text, max_size=6), max_size=6),
       header=st.sampled_from(["id,name,email,section", "Student,ID,SIS User ID,SIS Login ID,Section",
                               "First name,Last name,ID number,Institution,Department,Email address"]))
def test_any_roster_rows(course, rows: list[list[str]], header: str) -> None:
    assume(_no_good(rows))
    with _Scratch() as root:
        _good_folders(root / "subs")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header.split(","))
        writer.writerows(rows)
        good_rows = {"id,name,email,section": [[g, f"Good {g}", f"{g}@uni.example", "A"] for g in GOOD],
                     "Student,ID,SIS User ID,SIS Login ID,Section": [[f"Good, {g}", g, "", g, "A"] for g in GOOD],
                     "First name,Last name,ID number,Institution,Department,Email address":
                         [[g, "Good", g, "", "", f"{g}@uni.example"] for g in GOOD]}[header]
        writer.writerows(good_rows)
        (root / "roster.csv").write_text(buffer.getvalue(), encoding="utf-8")
        _assert_good(collect(course, root / "subs", list(course.exercises.values()), roster=root / "roster.csv"))


@FAST
@given(rows=st.lists(st.tuples(st.one_of(junk_text, st.sampled_from(GOOD)), junk_dates), max_size=8))
def test_any_times_rows(course, rows: list[tuple[str, object]]) -> None:
    with _Scratch() as root:
        _good_folders(root / "subs")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "submitted_at"])
        writer.writerows([who, "" if when is None else str(when)] for who, when in rows)
        (root / "times.csv").write_text(buffer.getvalue(), encoding="utf-8")
        intake = collect(course, root / "subs", list(course.exercises.values()), times=root / "times.csv")
        _assert_good(intake)
        for s in intake.submissions:     # a time, when there is one, is one the reports can read
            if s.handin.at:
                assert s.handin.at.endswith("+00:00") and 1990 <= int(s.handin.at[:4]) <= 2200


def test_whatever_goes_wrong_reading_one_student_is_that_students_problem(course, monkeypatch) -> None:
    """The boundary itself: an error nobody foresaw (here a bug in a reader) in one student's
    files, or in one exercise's file, costs that student or exercise, not the class."""
    from grader.grading import intake as intake_mod
    real_read, real_files = intake_mod.read_parts, intake_mod.exercise_files

    def read(parts, expand_zips=False):
        if any(node.name == "unlucky" for _, node in parts):
            raise KeyError("a bug")
        return real_read(parts, expand_zips)

    def files(tree, ex, assignment=None):
        if any("trap" in k for k in tree):
            raise MemoryError
        return real_files(tree, ex, assignment)

    monkeypatch.setattr(intake_mod, "read_parts", read)
    monkeypatch.setattr(intake_mod, "exercise_files", files)
    with _Scratch() as root:
        _good_folders(root)
        KIT.write(root / "unlucky" / "ch1" / "basics.py", KIT.SOLUTION)
        KIT.write(root / "trapped" / "trap.txt", "x")
        subs = collect(course, root, list(course.exercises.values())).submissions
        _assert_good(subs)
        found = {s.student: s for s in subs}
        assert found["unlucky"].problem == "unlucky could not be read (KeyError)"
        assert found["trapped"].exercises[EX].message == "ch1/basics.py could not be read (MemoryError)"


# ---------------------------------------------------------------------------- the whole run

@settings(max_examples=3, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["zip", "name", "times", "roster"]), junk=junk_zips(), name=file_names,
       when=junk_dates)
def test_grader_grade_writes_every_good_student(course, kind: str, junk: bytes, name: str, when: object) -> None:
    """Grading is slow: a few examples of one junk student beside two good ones, through the
    whole run (judges, gradebook, reports)."""
    from grader.grading.scheduler import grade_class
    assume(_no_good(sanitize_id(name)) and _no_good(when))
    with _Scratch() as root:
        subs = root / "subs"
        _good_folders(subs)
        options: dict = {}
        if kind == "zip":
            (subs / "junk.zip").write_bytes(junk)
        elif kind == "name":
            try:
                KIT.write(subs / name / "ch1" / "basics.py", KIT.WRONG)
            except OSError:
                assume(False)
        elif kind == "times":
            (root / "times.csv").write_text(f"id,submitted_at\ngood01,{when}\ngood02,2030-01-15T10:00:00Z\n")
            options["times"] = root / "times.csv"
        else:
            (root / "roster.csv").write_text(f"id,name\ngood01,Good One\n{name!r},{when!r}\ngood02,Good Two\n")
            options["roster"] = root / "roster.csv"
        result = grade_class(course, subs, root / "out", jobs=1, only=(EX,), report=False, **options)
        with open(root / "out" / "grades.csv", newline="", encoding="utf-8") as fh:
            rows = {r["student"]: r for r in csv.DictReader(fh)}
        for g in GOOD:
            assert rows[g][EX] == "4", rows.get(g)
        assert not result.failures
