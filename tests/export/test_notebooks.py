"""Generated notebooks: their shape, that they are current, and that they run in a real kernel —
the solution version passes every visible check, the stub version runs to the end and reports
each failure on one line (no kernel crash, no traceback)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.authoring import make_stub, outputs_for
from grader.course import Course, installed_course_root
from grader.export.notebooks import (BADGES_END, BADGES_START, colab_badges, notebook_for,
                                     readme_with_badges)
from grader.notebook import CheckSummary, check, find_exercise

ROOT = Path(__file__).resolve().parents[2]


def _exercises(course: Course):
    return [ex for ex in course.exercises.values() if ex.solution_path.is_file()]


def _ids() -> list[str]:
    from grader.course import load_course
    return [ex.id for ex in _exercises(load_course(ROOT))]


# ---------------------------------------------------------------- shape and determinism

def test_committed_notebooks_match_build(real_course: Course) -> None:
    stale = []
    for ex in _exercises(real_course):
        nb = [o for o in outputs_for(ex) if o.path.suffix == ".ipynb"]
        assert nb, "grader build does not generate notebooks (grader.export.notebooks not importable?)"
        if not nb[0].is_current():
            stale.append(str(nb[0].path.relative_to(ROOT)))
    assert not stale, f"committed notebooks differ from what `grader build` generates: {stale}; run `grader build`"


def test_wheel_carries_course_toml_and_visible_tests_only(tmp_path: Path) -> None:
    """What `pip install git+<course>` gives a Colab runtime: setup.py copies course.toml and the
    visible tests into grader/course_data, and nothing from solutions/."""
    # Build from a copy: pip builds in the source tree, and the repository's build/ is not ours.
    src = tmp_path / "src"
    for name in ("pyproject.toml", "setup.py", "README.md", "course.toml"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    for name in ("grader", "exercises", "solutions"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "course_data"))
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                          "-q", "-w", str(tmp_path), str(src)], capture_output=True, text=True, timeout=300)
    if run.returncode != 0 and "No module named" in run.stderr:
        pytest.skip(f"cannot build a wheel here without network: {run.stderr.strip()[-200:]}")
    assert run.returncode == 0, run.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = sorted(n for n in names if n.startswith("grader/course_data/"))
    assert "grader/course_data/course.toml" in names, data
    assert "grader/course_data/exercises/ch4/test_dropout.py" in names, data
    assert not any(n.startswith("solutions/") or "/solutions/" in n for n in names)
    assert all(n.rsplit("/", 1)[-1].startswith(("test_", "__init__", "course.toml")) for n in data), data


def test_notebook_shape(real_course: Course) -> None:
    ex = real_course.exercise("ch4.dropout")
    stub = make_stub(ex.solution_path.read_text(encoding="utf-8"))
    text = notebook_for(ex, stub)
    assert text == notebook_for(ex, stub), "notebook output is not deterministic"
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    assert [c["id"] for c in nb.cells] == [f"cell-{i:03d}" for i in range(len(nb.cells))]
    first, *middle, check_md, check_code = nb.cells
    assert first.cell_type == "code" and first.metadata["tags"] == ["colab-install"]
    assert '"google.colab" in sys.modules' in first.source
    assert real_course.notebook.install_url.format(version=real_course.version) in first.source
    assert check_md.cell_type == "markdown" and "Check your work" in check_md.source
    assert check_code.source == 'from grader.notebook import check\n\ncheck("ch4.dropout")'
    kinds = [c.cell_type for c in middle]
    assert kinds[0] == "markdown" and "code" in kinds
    # Markdown stays markdown (no leading "# " from the percent script), code stays code.
    assert middle[0].source.startswith("# Dropout from scratch") and "\n# A network" not in middle[0].source
    assert any("def dropout_layer" in c.source and "raise NotImplementedError" in c.source for c in middle)
    (demo,) = [c for c in middle if c.metadata.get("tags") == ["demo"]]
    assert "__main__" not in demo.source and "\ntry:\n    X = torch.arange" in demo.source
    assert demo.source.rstrip().splitlines()[-2] == "except NotImplementedError as exc:"
    assert "BEGIN SOLUTION" not in text
    # Jupyter's own layout: sorted keys, one-space indent.
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def test_install_cell_runs_only_in_colab(real_course: Course, monkeypatch: pytest.MonkeyPatch) -> None:
    ex = real_course.exercise("ch4.dropout")
    nb = nbformat.reads(notebook_for(ex, ex.stub_path.read_text(encoding="utf-8")), as_version=4)
    source = nb.cells[0].source
    calls: list[list[str]] = []
    import subprocess
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(source, "install-cell", "exec"), {})
    assert calls == []
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    exec(compile(source, "install-cell", "exec"), {})
    assert len(calls) == 1 and calls[0][-1] == "git+https://github.com/torchgrade/course@v" + real_course.version
    assert calls[0][1:4] == ["-m", "pip", "install"]


def test_colab_badges(real_course: Course) -> None:
    block = colab_badges(real_course)
    for ex in _exercises(real_course):
        url = real_course.notebook.colab_url.format(path=f"exercises/{ex.chapter}/{ex.name}.ipynb")
        assert f"]({url})" in block and ex.id in block
    readme = f"# x\n\n{BADGES_START}\nold\n{BADGES_END}\n\nrest\n"
    new = readme_with_badges(readme, real_course)
    assert new is not None and "old" not in new and block in new and new.endswith("rest\n")
    assert readme_with_badges(new, real_course) == new
    assert readme_with_badges("no markers", real_course) is None


# ---------------------------------------------------------------- check() in this process

def test_check_on_a_namespace_prints_one_line_per_check(real_course: Course, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    ex = real_course.exercise("ch4.dropout")
    namespace: dict = {}
    exec(compile(ex.solution_path.read_text(encoding="utf-8"), "solution", "exec"), namespace)
    monkeypatch.chdir(tmp_path)  # no course.toml here: the packaged copy is used, as in Colab
    monkeypatch.delenv("TORCHGRADE_COURSE", raising=False)
    out = io.StringIO()
    summary = check("ch4.dropout", namespace, device="cpu", file=out)
    assert isinstance(summary, CheckSummary) and summary.all_passed
    assert Path(summary.course_root) == installed_course_root()
    lines = out.getvalue().splitlines()
    assert len(lines) == len(summary.results) + 2 and all(ln.startswith("  PASS") for ln in lines[1:-1])
    assert re.search(r"ch4\.dropout: (\d+)/\1 visible points", lines[-1])
    assert "visible points" in repr(summary)

    namespace.pop("DropoutMLP")
    namespace["dropout_layer"] = lambda X, p: X  # wrong: never drops anything
    out = io.StringIO()
    summary = check("ch4.dropout", namespace, device="cpu", file=out)
    text = out.getvalue()
    assert not summary.all_passed and "not defined yet: DropoutMLP" in text
    assert "DropoutMLP is not defined in this notebook" in text and "Traceback" not in text


def test_check_finds_course_from_cwd_and_reports_unknown_exercise(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TORCHGRADE_COURSE", raising=False)
    monkeypatch.chdir(ROOT / "exercises" / "ch4")
    course, ex = find_exercise("ch4.dropout")
    assert course.root == ROOT and ex.id == "ch4.dropout"
    from grader.course import CourseError
    with pytest.raises(CourseError, match="ch9.nothing"):
        find_exercise("ch9.nothing")


# ---------------------------------------------------------------- real kernel

FAKE_DATA = """import torchvision

def _generated_fashion_mnist(root=None, train=True, transform=None, target_transform=None, download=False):
    return torchvision.datasets.FakeData(size=512 if train else 128, image_size=(1, 28, 28), num_classes=10,
                                         transform=transform, target_transform=target_transform)

torchvision.datasets.FashionMNIST = _generated_fashion_mnist"""


def _runnable(text: str, reset: bool, demos: bool = False) -> nbformat.NotebookNode:
    """The notebook as a test runs it: demo cells left out (they train on downloaded data sets),
    or kept with generated images standing in for the download; and, when notebooks share one
    kernel, the namespace of the previous one cleared first."""
    nb = nbformat.reads(text, as_version=4)
    if demos:
        nb.cells.insert(0, nbformat.v4.new_code_cell(FAKE_DATA))
    else:
        nb.cells = [c for c in nb.cells if "demo" not in c.metadata.get("tags", [])]
    if reset:
        nb.cells.insert(0, nbformat.v4.new_code_cell("%reset -f"))
    return nb


def _outputs_text(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def _check_output(nb: nbformat.NotebookNode) -> str:
    cell = nb.cells[-1]
    assert 'check("' in cell.source
    parts = []
    for out in cell.outputs:
        assert out.output_type != "error", f"check cell raised: {out.get('ename')}: {out.get('evalue')}"
        if out.output_type == "stream":
            parts.append(out.text)
        elif "data" in out:
            parts.append(out.data.get("text/plain", ""))
    return "".join(parts)


def _errors(nb: nbformat.NotebookNode) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.output_type == "error"]


@pytest.fixture(scope="module")
def shared_kernel(jupyter_env: str, tmp_path_factory: pytest.TempPathFactory):
    """One kernel for all notebooks of this module: importing torch once instead of per notebook
    keeps the test at a few seconds per notebook. Its folder holds no course.toml, as in Colab,
    so check() uses the copy of the visible checks inside the installed package."""
    from jupyter_client.manager import KernelManager
    cwd = tmp_path_factory.mktemp("colab-like")
    km = KernelManager(kernel_name=jupyter_env)
    km.start_kernel(cwd=str(cwd))
    yield km
    km.shutdown_kernel(now=True)


def _execute(nb: nbformat.NotebookNode, km, timeout: int = 180) -> nbformat.NotebookNode:
    from nbclient import NotebookClient
    client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=False)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    client.kc = kc
    try:
        client.execute()
    finally:
        kc.stop_channels()
    return nb


@pytest.mark.parametrize("exercise_id", _ids())
def test_solution_notebook_passes_visible_checks(exercise_id: str, real_course: Course, shared_kernel) -> None:
    ex = real_course.exercise(exercise_id)
    text = notebook_for(ex, ex.solution_path.read_text(encoding="utf-8"), course=real_course)
    nb = _execute(_runnable(text, reset=True), shared_kernel)
    assert not _errors(nb)
    output = _check_output(nb)
    assert "all visible checks pass" in output, output
    assert "FAIL" not in output, output
    assert re.search(rf"{re.escape(exercise_id)}: (\d+(\.\d+)?)/\1 visible points", output), output


@pytest.mark.parametrize("exercise_id", _ids())
def test_stub_notebook_runs_to_the_end_and_reports_failures(exercise_id: str, real_course: Course,
                                                            shared_kernel) -> None:
    ex = real_course.exercise(exercise_id)
    # Colab's "Run all", demo cell included: the stub's NotImplementedError is one printed line.
    nb = _execute(_runnable(ex.notebook_path.read_text(encoding="utf-8"), reset=True, demos=True), shared_kernel)
    assert not _errors(nb), f"a stub notebook must run to the end: {_errors(nb)}"
    demos = [c for c in nb.cells if "demo" in c.metadata.get("tags", [])]
    assert demos and all("The demo needs your code first" in _outputs_text(c) for c in demos), \
        [_outputs_text(c) for c in demos]
    output = _check_output(nb)
    lines = output.splitlines()
    results = [ln for ln in lines if ln.startswith("  PASS") or ln.startswith("  FAIL") or ln.startswith("  SKIP")]
    assert results and not any(ln.startswith("  PASS") for ln in results), output
    assert re.search(rf"{re.escape(exercise_id)}: 0/\d+(\.\d+)? visible points", output), output
    assert "Traceback" not in output and "File \"" not in output, output
    assert len(lines) < 6 * len(results) + 4, f"failure report is too long:\n{output}"


def test_notebook_in_its_own_kernel_inside_the_course(real_course: Course, jupyter_env: str) -> None:
    """Jupyter opened in exercises/ch4: a fresh kernel per notebook, checks from the course."""
    from nbclient import NotebookClient
    ex = real_course.exercise("ch4.dropout")
    nb = _runnable(ex.notebook_path.read_text(encoding="utf-8"), reset=False)
    NotebookClient(nb, kernel_name=jupyter_env, timeout=180,
                   resources={"metadata": {"path": str(ex.stub_path.parent)}}).execute()
    output = _check_output(nb)
    assert "ch4.dropout: 0/" in output and "not implemented yet" in output, output
    # What a reader of the executed notebook sees, rendered the way nbconvert/GitHub do.
    from nbconvert import HTMLExporter
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert "ch4.dropout: 0/" in html and "Check your work" in html and "Traceback" not in html
