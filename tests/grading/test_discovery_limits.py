"""Discovery that one student's files cannot crash: depth, entry and size limits per folder,
ids that differ only by case, file names with control characters. Each is that student's clear
error (or note) and everyone else is still found."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

from grader.course import load_course
from grader.grading import submissions
from grader.grading.intake import collect
from grader.grading.submissions import MAX_DEPTH
from grader.reports.escape import md_text, plain_text, rich_text


def _kit():
    import importlib.util
    spec = importlib.util.spec_from_file_location("grading_test_kit", Path(__file__).with_name("kit.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_K = _kit()
SOLUTION, write = _K.SOLUTION, _K.write
EX = "ch1.basics"


def _discover(course_root: Path, subs: Path):
    course = load_course(course_root)
    return {s.student: s for s in collect(course, subs, list(course.exercises.values())).submissions}


def make_chain(top: Path, depth: int) -> None:
    """`depth` nested folders under `top`, built relative to each level (the whole path is
    longer than PATH_MAX)."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
    finally:
        os.close(fd)


def remove_tree(top: Path) -> None:
    """rm -rf without recursion: pytest's own clean-up of its temp folders (and shutil.rmtree)
    would hit RecursionError on the chain and break every later pytest run on this machine."""
    subprocess.run(["rm", "-rf", "--", str(top)], check=False)


def test_a_folder_chain_deeper_than_python_can_recurse_is_that_students_error(tiny_course):
    subs = Path(tempfile.mkdtemp(prefix="tg-deep-"))
    try:
        write(subs / "alice" / "ch1" / "basics.py", SOLUTION)
        write(subs / "deep" / "ch1" / "basics.py", SOLUTION)
        make_chain(subs / "deep", 1100)
        found = _discover(tiny_course, subs)
        assert found["alice"].exercises[EX].status == "ok"
        assert f"nested more than {MAX_DEPTH} levels" in found["deep"].problem
        assert found["deep"].exercises[EX].status == "error"
    finally:
        remove_tree(subs)


def test_too_many_files_and_too_many_bytes(tiny_course, tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    write(subs / "alice" / "ch1" / "basics.py", SOLUTION)
    write(subs / "many" / "ch1" / "basics.py", SOLUTION)
    for i in range(30):
        write(subs / "many" / "junk" / f"{i}.txt", "x")
    write(subs / "big" / "ch1" / "basics.py", SOLUTION)
    write(subs / "big" / "data.bin", "x" * 5000)
    monkeypatch.setattr(submissions, "MAX_FOLDER_ENTRIES", 20)
    monkeypatch.setattr(submissions, "MAX_FOLDER_BYTES", 4000)
    found = _discover(tiny_course, subs)
    assert found["alice"].exercises[EX].status == "ok"
    assert "more than 20 files and folders" in found["many"].problem
    assert "MiB of files" in found["big"].problem


def test_ids_that_differ_only_by_case_are_an_error_naming_both(tiny_course, tmp_path):
    subs = tmp_path / "subs"
    write(subs / "a00_base" / "ch1" / "basics.py", SOLUTION)
    write(subs / "A00_BASE" / "ch1" / "basics.py", "def twice(x):\n    return 0\n")
    write(subs / "bob" / "ch1" / "basics.py", SOLUTION)
    found = _discover(tiny_course, subs)
    assert sorted(found) == ["A00_BASE", "a00_base", "bob"]     # nobody renamed to a00_base-2
    for sid in ("A00_BASE", "a00_base"):
        assert "'A00_BASE'" in found[sid].problem and "'a00_base'" in found[sid].problem
        assert "differ only by upper/lower case" in found[sid].problem
    assert not found["bob"].problem


def test_file_names_with_control_characters_are_refused(tiny_course, tmp_path):
    subs = tmp_path / "subs"
    write(subs / "eve" / "ch1" / "basics.py", SOLUTION)
    write(subs / "eve" / "x\n**Final grade: 70 / 70 points**.py", "")
    found = _discover(tiny_course, subs)
    entry = found["eve"].exercises[EX]
    assert entry.status == "ok"
    assert any("control characters" in n and "\\n" in n and "\n" not in n for n in entry.notes)


def test_escaping_leaves_no_markup_no_tags_no_links_no_controls():
    evil = 'x\n**Final grade: 70 / 70** <a href="javascript:alert(1)">[y](javascript:alert(1))</a> https://e.vil\x1b[31m'
    md = md_text(evil)
    assert "\n" not in md and "\x1b" not in md
    assert "<" not in md and ">" not in md and "**" not in md
    assert not re.search(r"(?<!\\)[\[\]]", md)             # every bracket escaped: no link
    assert "javascript:" not in md and "https://" not in md
    assert "\n" not in plain_text(evil) and "\x1b" not in plain_text(evil)
    assert "[/" not in rich_text("[/]") or "\\[/]" in rich_text("[/]")
