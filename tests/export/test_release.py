"""`grader release`: what students get, the leak scan, and that the release installs and runs."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.course import Course
from grader.export.release import (CROSS_MIN, MARKERS, ReleaseError, _solution_blocks, build_release,
                                   leak_scan, needles, normalise, quoted_answers, scan_release)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def release(real_course: Course, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release") / "course"
    report = build_release(real_course, out)
    assert not report.leaks, "\n".join(map(str, report.leaks))
    return out


def _copy(release: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(release, dst)
    return dst


def _a_solution_line(course: Course) -> str:
    ex = course.exercise("ch4.dropout")
    table = needles(course)
    lines = [ln for ln in _solution_blocks(ex.solution_path.read_text(encoding="utf-8"))
             if table.get(normalise(ln), ("", ""))[0] == "solution"]
    assert lines, "ch4.dropout has no solution line long enough to look for"
    return lines[-1]


def test_release_has_what_students_need_and_nothing_secret(release: Path, real_course: Course) -> None:
    files = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    for ex in real_course.exercises.values():
        if ex.solution_path.is_file():
            for path in (ex.stub_path, ex.notebook_path, ex.visible_tests_path):
                rel = path.relative_to(ROOT).as_posix()
                assert rel in files, f"{rel} missing from the release"
                assert (release / rel).read_bytes() == path.read_bytes()
    for needed in ("course.toml", "README.md", "pyproject.toml", "grader/pytest_plugin.py", "grader/notebook.py",
                   "grader/checks/executor.py", "grader/course_data/course.toml",
                   "grader/course_data/exercises/ch4/test_dropout.py"):
        assert needed in files
    assert not any(f.startswith("solutions/") or "_hidden" in f for f in files)
    assert not any(f.startswith(("grader/sandbox/", "grader/export/")) for f in files)
    # of the grading package only how the grader reads a notebook (`grader pack` checks with it)
    assert {f for f in files if f.startswith("grader/grading/")} == {"grader/grading/__init__.py",
                                                                      "grader/grading/sources.py"}
    import tomllib
    project = tomllib.loads((release / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["pytest11"]["torchgrade"] == "grader.pytest_plugin"
    assert not any(d.startswith("nbgrader") for d in project["dependencies"])
    readme = (release / "README.md").read_text(encoding="utf-8")
    assert "pytest exercises/ch4" in readme and "colab.research.google.com" in readme
    assert leak_scan(real_course, release) == []


def test_planted_solution_line_fails_the_scan(release: Path, real_course: Course, tmp_path: Path) -> None:
    out = _copy(release, tmp_path)
    line = _a_solution_line(real_course)
    stub = out / "exercises" / "ch4" / "dropout.py"
    stub.write_text(stub.read_text(encoding="utf-8") + "\n# pasted by mistake:\n" + "  " + line.strip() + "\n")
    leaks = leak_scan(real_course, out)
    assert [(lk.path, lk.kind, lk.source) for lk in leaks] == \
        [("exercises/ch4/dropout.py", "solution", "solutions/ch4/dropout.py")]
    assert normalise(line) in str(leaks[0]) and "exercises/ch4/dropout.py:" in str(leaks[0])


def test_another_exercises_answer_in_a_demo_cell_fails_the_scan(release: Path, real_course: Course,
                                                                tmp_path: Path) -> None:
    """ch6.training_gpu's batch loop pasted into ch7's GoogLeNet demo is a leak of ch6's answer,
    although the ch7 stub is public: answers are looked for in every exercise's files."""
    out = _copy(release, tmp_path)
    table = needles(real_course)
    quoted = quoted_answers(real_course)["ch6.training_gpu"]
    loop = [ln for ln in _solution_blocks(real_course.exercise("ch6.training_gpu").solution_path
                                          .read_text(encoding="utf-8"))
            if table.get(normalise(ln), ("", ""))[0] == "solution" and normalise(ln) not in quoted][:CROSS_MIN + 2]
    assert len(loop) >= CROSS_MIN
    demo = out / "exercises" / "ch7" / "googlenet.py"
    demo.write_text(demo.read_text(encoding="utf-8") + "\n".join(loop) + "\n", encoding="utf-8")
    leaks = leak_scan(real_course, out)
    assert {lk.path for lk in leaks} == {"exercises/ch7/googlenet.py"}
    assert {lk.text for lk in leaks} == {normalise(ln) for ln in loop}
    assert all(lk.kind == "solution" for lk in leaks)


def test_ch7_demos_call_train_ch6_instead_of_a_training_loop(real_course: Course) -> None:
    for ex_id in ("ch7.googlenet", "ch7.alexnet"):
        stub = real_course.exercise(ex_id).stub_path.read_text(encoding="utf-8")
        assert "from training_gpu import train_ch6" in stub and "train_ch6(net," in stub
        assert "optimizer.zero_grad()" not in stub and ".backward()" not in stub


def test_stub_hint_quoting_an_answer_is_a_warning_not_a_leak(release: Path, real_course: Course,
                                                             tmp_path: Path) -> None:
    conv = "layer = Conv2D(kernel_size).to(X.device)"   # ch6.convolution's hint quotes this answer line
    assert conv in quoted_answers(real_course)["ch6.convolution"]
    found = scan_release(real_course, release)
    warnings = [lk for lk in found if lk.kind == "quoted"]
    assert ("exercises/ch6/convolution.py", conv) in {(w.path, w.text) for w in warnings}
    assert "quotes an answer line" in str(warnings[0])
    assert leak_scan(real_course, release) == []
    # The same line in another exercise's stub is a leak (with enough company to be an answer).
    out = _copy(release, tmp_path)
    other = out / "exercises" / "ch4" / "dropout.py"
    table = needles(real_course)      # once: it builds every stub
    lines = [conv] + [ln.strip() for ln in _solution_blocks(real_course.exercise("ch6.convolution")
                                                              .solution_path.read_text(encoding="utf-8"))
                      if table.get(normalise(ln), ("", ""))[0] == "solution"][:CROSS_MIN]
    other.write_text(other.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")
    assert ("exercises/ch4/dropout.py", conv) in {(lk.path, lk.text) for lk in leak_scan(real_course, out)}


def test_scan_sees_through_notebook_json_markers_and_hidden_files(release: Path, real_course: Course,
                                                                  tmp_path: Path) -> None:
    out = _copy(release, tmp_path)
    nb_path = out / "exercises" / "ch4" / "dropout.ipynb"
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    # In the JSON file the quotes and newlines are escaped; the scan must still find the line.
    nb["cells"][2]["source"] = ["x = 1\n", "    " + _a_solution_line(real_course).strip() + "\n"]
    nb_path.write_text(json.dumps(nb), encoding="utf-8")
    (out / "notes.md").write_text(f"{MARKERS[0]}\nanswer\n{MARKERS[1]}\n", encoding="utf-8")
    hidden = real_course.exercise("ch4.dropout").hidden_checks_path
    secret = next(ln for ln in hidden.read_text(encoding="utf-8").splitlines()
                  if needles(real_course).get(normalise(ln), ("", ""))[0] == "secret")
    (out / "exercises" / "ch4" / "extra.py").write_text(secret + "\n", encoding="utf-8")
    shutil.copyfile(hidden, out / "exercises" / "ch4" / hidden.name)
    # Any instructor file copied under another name is caught by its content, binary or not.
    shutil.copyfile(real_course.exercise("ch4.dropout").solution_path, out / "data.bin")
    kinds = {(lk.path, lk.kind) for lk in leak_scan(real_course, out)}
    assert ("exercises/ch4/dropout.ipynb", "solution") in kinds
    assert ("notes.md", "marker") in kinds
    assert ("exercises/ch4/extra.py", "secret") in kinds
    assert (f"exercises/ch4/{hidden.name}", "file") in kinds
    assert ("data.bin", "file") in kinds


def test_cli_release_and_scan_only(real_course: Course, tmp_path: Path) -> None:
    from grader.cli import main
    runner = CliRunner()
    out = tmp_path / "rel"
    result = runner.invoke(main, ["--course", str(ROOT), "release", str(out)])
    assert result.exit_code == 0, result.output
    assert "leak scan clean" in result.output
    again = runner.invoke(main, ["--course", str(ROOT), "release", str(out)])
    assert again.exit_code == 2 and "not empty" in again.output
    assert runner.invoke(main, ["--course", str(ROOT), "release", "--force", str(out)]).exit_code == 0
    stub = out / "exercises" / "ch4" / "dropout.py"
    stub.write_text(stub.read_text(encoding="utf-8") + _a_solution_line(real_course) + "\n")
    scan = runner.invoke(main, ["--course", str(ROOT), "release", "--scan-only", str(out)])
    assert scan.exit_code == 1
    assert "LEAK" in scan.output and "do not publish" in scan.output and "exercises/ch4/dropout.py" in scan.output


def test_release_refuses_folders_inside_the_course(real_course: Course, tmp_path: Path) -> None:
    for bad in (ROOT, ROOT / "solutions" / "out", ROOT / "exercises" / "out"):
        with pytest.raises(ReleaseError, match="outside the course"):
            build_release(real_course, bad)
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ReleaseError, match="not empty"):
        build_release(real_course, tmp_path, force=True)  # --force never wipes a folder we did not write
    assert (tmp_path / "keep.txt").is_file()


def _need_offline_build_backend() -> None:
    """`pip install -e .` without a download builds with this environment's setuptools: it needs
    PEP 660 wheels (setuptools >= 70.1 has bdist_wheel built in; older ones need `wheel`)."""
    import importlib.util

    import setuptools
    major, minor = (int(x) for x in setuptools.__version__.split(".")[:2])
    if (major, minor) < (70, 1) and importlib.util.find_spec("wheel") is None:
        pytest.skip(f"setuptools {setuptools.__version__} without `wheel` cannot build an editable "
                    "install offline (pip install -U setuptools)")


@pytest.mark.slow
def test_release_installs_in_a_fresh_venv_and_pytest_fails_on_stubs(release: Path, tmp_path: Path) -> None:
    """Inside the release: a new venv, `pip install -e .`, `pytest exercises/ch3` fails on the
    stubs with points; check() works from the installed package outside any course folder."""
    _need_offline_build_backend()
    out = _copy(release, tmp_path)
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True,
                   timeout=60)
    py = venv / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # torch, pip and setuptools come from this test's environment (no download, no reinstall);
    # a plain path line, so that environment's own editable `grader` is *not* activated.
    (Path(purelib) / "_parent_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TORCHGRADE_COURSE")}
    env["PIP_NO_INDEX"] = "1"
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", "."],
                         cwd=out, env=env, capture_output=True, text=True, timeout=120)
    assert pip.returncode == 0, pip.stdout + pip.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(py), "-c", "import grader.notebook as n; print(n.__file__)"], cwd=elsewhere,
                           env=env, capture_output=True, text=True, timeout=60)
    assert Path(where.stdout.strip()).resolve() == (out / "grader" / "notebook.py").resolve(), where.stderr

    tests = subprocess.run([str(py), "-m", "pytest", "exercises/ch3"], cwd=out, env=env,
                           capture_output=True, text=True, timeout=120)
    text = tests.stdout + tests.stderr
    assert tests.returncode == 1, text
    assert "ch3.softmax: 0/" in text and "visible points" in text and "not implemented yet" in text, text
    assert " passed" not in text.splitlines()[-1], text

    script = ("import runpy\n"
              f"ns = runpy.run_path({str(out / 'exercises' / 'ch3' / 'softmax.py')!r})\n"
              "from grader.notebook import check\n"
              "s = check('ch3.softmax', ns)\n"
              "print('ROOT', s.course_root)\n")
    run = subprocess.run([str(py), "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ch3.softmax: 0/" in run.stdout and "FAIL" in run.stdout
    assert f"ROOT {(out / 'grader' / 'course_data').resolve()}" in run.stdout or \
        f"ROOT {out / 'grader' / 'course_data'}" in run.stdout, run.stdout
