"""Finding students and their files: every accepted form, and every broken one becomes a
per-student or per-exercise message while the rest is still found."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.course import load_course
from grader.grading.sources import notebook_to_module
from grader.grading.intake import collect
from grader.grading.submissions import MAX_ZIP_TOTAL, sanitize_id


def _kit():
    import importlib.util
    spec = importlib.util.spec_from_file_location("grading_test_kit", Path(__file__).with_name("kit.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_K = _kit()
SOLUTION, TWICE, write = _K.SOLUTION, _K.TWICE, _K.write

EX = "ch1.basics"


def _discover(course_root: Path, subs: Path, **kw):
    course = load_course(course_root)
    found = collect(course, subs, list(course.exercises.values()), **kw).submissions
    return {s.student: s for s in found}


def _zip(path: Path, members: dict[str, bytes | str], *, symlink: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, "/etc/passwd")
    return path


def _notebook(*cells: str, markdown: str = "Some text") -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown)] + [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


def test_folder_layouts(tiny_course: Path, tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    write(subs / "plain" / "ch1" / "basics.py", SOLUTION)
    write(subs / "plain" / "ch2" / "twice.py", TWICE)
    write(subs / "prefixed" / "exercises" / "ch1" / "basics.py", SOLUTION)
    write(subs / "prefixed" / "README.md", "hello")
    write(subs / "wrapped" / "my-work" / "ch1" / "basics.py", SOLUTION)
    found = _discover(tiny_course, subs)
    assert sorted(found) == ["plain", "prefixed", "wrapped"]
    for sid in found:
        files = found[sid].exercises[EX]
        assert files.status == "ok", (sid, files.message)
        assert files.files == {"basics.py": SOLUTION.encode()}
        assert files.module_file == "basics.py"
    assert found["plain"].exercises["ch2.twice"].status == "ok"
    missing = found["prefixed"].exercises["ch2.twice"]
    assert missing.status == "missing" and "ch2/twice.py" in missing.message


def test_zip_forms(tiny_course: Path, tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    _zip(subs / "alice.zip", {"ch1/basics.py": SOLUTION})
    _zip(subs / "bob.zip", {"bob/exercises/ch1/basics.py": SOLUTION, "bob/notes.txt": "x"})
    _zip(subs / "carol.zip", {"ch1/basics.py": SOLUTION, "../evil.py": "x"})
    _zip(subs / "dave.zip", {"/etc/evil.py": "x", "ch1/basics.py": SOLUTION})
    _zip(subs / "erin.zip", {"ch1/basics.py": SOLUTION}, symlink="ch2/twice.py")
    _zip(subs / "frank.zip", {"ch1/basics.py": SOLUTION, "ch1/bomb.bin": b"\0" * (4 * 1024 * 1024)})
    (subs / "grace.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    _zip(subs / "heidi.zip", {"ch1\\basics.py": SOLUTION})
    found = _discover(tiny_course, subs)
    assert found["alice"].exercises[EX].status == "ok"
    assert found["bob"].exercises[EX].status == "ok"
    assert found["heidi"].exercises[EX].status == "ok"       # Windows separators
    for sid, word in [("carol", "unsafe path"), ("dave", "unsafe path"), ("erin", "symbolic link"),
                      ("frank", "zip bomb"), ("grace", "not a valid zip")]:
        sub = found[sid]
        assert word in sub.problem, (sid, sub.problem)
        assert all(f.status == "error" and word in f.message for f in sub.exercises.values())
    assert not any((tmp_path / name).exists() for name in ("evil.py",))


def test_zip_total_size_cap(tiny_course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import grader.grading.submissions as submissions
    monkeypatch.setattr(submissions, "MAX_ZIP_TOTAL", 1000)
    subs = tmp_path / "subs"
    _zip(subs / "big.zip", {"ch1/basics.py": SOLUTION, "data.txt": os.urandom(2000)})
    found = _discover(tiny_course, subs)
    assert "zip bomb" in found["big"].problem
    assert MAX_ZIP_TOTAL > 1000


def test_broken_files_are_per_exercise(tiny_course: Path, tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    write(subs / "syntax" / "ch1" / "basics.py", "def add(a, b)\n    return a + b\n")
    write(subs / "syntax" / "ch2" / "twice.py", TWICE)
    write(subs / "latin1" / "ch1" / "basics.py", "# caf\xe9\n".encode("latin-1") + SOLUTION.encode())
    write(subs / "latin1" / "ch2" / "twice.py", TWICE)
    write(subs / "nbjson" / "ch1" / "basics.ipynb", '{"cells": [ oops')
    write(subs / "nbjson" / "ch2" / "twice.py", TWICE)
    write(subs / "zerobyte" / "ch1" / "basics.py", "")
    (subs / "emptydir").mkdir(parents=True)
    write(subs / "other" / "notes.txt", "I did not do it")
    found = _discover(tiny_course, subs)
    syntax = found["syntax"].exercises[EX]
    assert syntax.status == "error" and "syntax error" in syntax.message and "line 1" in syntax.message
    assert "not UTF-8" in found["latin1"].exercises[EX].message
    assert "not valid JSON" in found["nbjson"].exercises[EX].message
    assert "empty" in found["zerobyte"].exercises[EX].message
    for sid in ("syntax", "latin1", "nbjson"):
        assert found[sid].exercises["ch2.twice"].status == "ok", sid     # the other exercise goes on
    assert "empty" in found["emptydir"].problem
    other = found["other"].exercises[EX]
    assert other.status == "missing" and "notes.txt" in other.message


def test_symlinks_in_folders_are_refused(tiny_course: Path, tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    secret = write(tmp_path / "secret" / "basics.py", SOLUTION)
    (subs / "linker" / "ch1").mkdir(parents=True)
    (subs / "linker" / "ch1" / "basics.py").symlink_to(secret)
    (subs / "dirlink").mkdir()
    (subs / "dirlink" / "ch1").symlink_to(secret.parent, target_is_directory=True)
    (subs / "whole").symlink_to(secret.parent, target_is_directory=True)
    found = _discover(tiny_course, subs)
    assert "symbolic link" in found["linker"].exercises[EX].message
    assert found["linker"].exercises[EX].files == {}
    assert found["dirlink"].exercises[EX].status != "ok"
    assert "symbolic link" in found["whole"].problem


def test_notebook_keeps_definitions_only(tiny_course: Path, tmp_path: Path) -> None:
    source = _notebook(
        "!pip install torchgrade\n%matplotlib inline\ntorch.nn?\nfiles = !ls\nimport torch\nLR = 0.1\nSHAPE = (2, 3)\n"
        "DEV = torch.device('cpu')\nnet = torch.nn.Sequential(torch.nn.Linear(2, 3))\nmodel = make_model()",
        "def add(a, b):\n    %timeit a\n    return a + b\n\n@staticmethod\ndef helper():\n    return LR",
        "class Scaler:\n    pass\n\ndef scale(x, factor):\n    return x * factor",
        "for epoch in range(10**9):\n    pass\nnet = train(add)\nprint('done')",
        "%%time\nwhile True:\n    pass",
        "if __name__ == '__main__':\n    add(1, 2)",
    )
    code, dropped = notebook_to_module(source.encode())
    namespace: dict = {}
    exec(compile(code, "nb", "exec"), namespace)     # finishes: no training loop, no magics
    assert namespace["add"](2, 3) == 5 and namespace["scale"](2, 4) == 8
    assert namespace["LR"] == 0.1 and namespace["SHAPE"] == (2, 3) and "Scaler" in namespace
    assert namespace["helper"] and str(namespace["DEV"]) == "cpu" and "net" in namespace
    assert "model" not in namespace and "make_model" not in code
    assert "range(10**9)" not in code and "print(" not in code and "pip" not in code
    assert dropped == 6

    subs = tmp_path / "subs"
    write(subs / "nbstudent" / "ch1" / "basics.ipynb", source)
    write(subs / "both" / "ch1" / "basics.ipynb", source)
    write(subs / "both" / "ch1" / "basics.py", SOLUTION)
    write(subs / "nbsyntax" / "ch1" / "basics.ipynb", _notebook("import torch", "def add(a, b:\n  pass"))
    found = _discover(tiny_course, subs)
    nb = found["nbstudent"].exercises[EX]
    assert nb.status == "ok" and nb.source == "ch1/basics.ipynb"
    assert nb.files["basics.py"] == notebook_to_module(source.encode(), "ch1/basics.ipynb")[0].encode()
    assert any("left out 6" in n for n in nb.notes)
    both = found["both"].exercises[EX]
    assert both.source == "ch1/basics.py" and any("both" in n for n in both.notes)
    bad = found["nbsyntax"].exercises[EX]
    # a cell with a syntax error is skipped (named when the module runs), not the whole notebook
    assert bad.status == "ok" and "syntax error in ch1/basics.ipynb (code cell 2)" in bad.files["basics.py"].decode()


def test_nbgrader_layout(tiny_course: Path, tmp_path: Path) -> None:
    nbcourse = tmp_path / "nbcourse"
    write(nbcourse / "submitted" / "stud1" / "ch1" / "basics.ipynb",
          _notebook("def add(a, b):\n    return a + b", "def scale(x, f):\n    return x * f"))
    write(nbcourse / "submitted" / "stud2" / "ch1" / "other.ipynb", _notebook("x = 1"))
    write(nbcourse / "source" / "ch1" / "basics.ipynb", _notebook("x = 1"))
    for root, kw in ((nbcourse, {}), (nbcourse / "submitted", {"nbgrader_assignment": "ch1"})):
        found = _discover(tiny_course, root, **kw)
        assert sorted(found) == ["stud1", "stud2"]
        assert found["stud1"].exercises[EX].status == "ok"
        assert found["stud2"].exercises[EX].status == "missing"
    found = _discover(tiny_course, nbcourse / "submitted", nbgrader_assignment="ch1")
    assert found["stud1"].exercises["ch2.twice"].status == "missing"
    assert found["stud1"].kind == "nbgrader"


def test_student_ids_are_sanitised_and_unique(tiny_course: Path, tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    write(subs / "Anna Müller" / "ch1" / "basics.py", SOLUTION)
    write(subs / "x;rm -rf" / "ch1" / "basics.py", SOLUTION)
    write(subs / "bob" / "ch1" / "basics.py", SOLUTION)
    _zip(subs / "bob.zip", {"ch1/basics.py": SOLUTION})
    write(subs / "results" / "grades.csv", "x")
    write(subs / "a00 base" / "ch1" / "basics.py", SOLUTION)
    write(subs / "a00_base" / "ch1" / "basics.py", "def add(a, b):\n    return 0\n")
    found = _discover(tiny_course, subs, exclude=[subs / "results"])
    # letters of any script kept; names that clean to one id are refused, each keyed by its own
    # name and told of the other: nobody is renamed bob-2, and sort order takes no row
    assert sorted(found) == ["Anna_Müller", "a00 base", "a00_base", "bob", "bob.zip", "x_rm_-rf"]
    for a, b in (("bob", "bob.zip"), ("a00 base", "a00_base")):
        for sid in (a, b):
            assert f"{a!r}" in found[sid].problem and f"{b!r}" in found[sid].problem, found[sid].problem
            assert all(e.status == "error" for e in found[sid].exercises.values())
    assert not found["Anna_Müller"].problem and not found["x_rm_-rf"].problem
    assert sanitize_id("../../etc") == "etc" and sanitize_id("...") == "student"


def test_an_untouched_stub_gives_way_to_the_notebook_beside_it(tiny_course: Path, tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    stub = (tiny_course / "exercises" / "ch1" / "basics.py").read_text()
    write(subs / "nb" / "ch1" / "basics.py", stub)
    write(subs / "nb" / "ch1" / "basics.ipynb", _notebook(SOLUTION))
    write(subs / "py" / "ch1" / "basics.py", SOLUTION)
    write(subs / "py" / "ch1" / "basics.ipynb", _notebook(SOLUTION))
    found = _discover(tiny_course, subs)
    nb, py = found["nb"].exercises[EX], found["py"].exercises[EX]
    assert nb.source == "ch1/basics.ipynb" and "ch1/basics.py is still the untouched stub" in nb.notes[0]
    assert py.source == "ch1/basics.py" and "both ch1/basics.py and ch1/basics.ipynb handed in" in py.notes[0]
