"""Notebooks for Jupyter and Colab, generated from the same single source as the stub.

`grader build` calls `notebook_for(exercise, stub)` for every exercise: the stub (a jupytext
percent script) becomes cells through jupytext, framed by an install cell that only acts in
Colab and a closing `check("chN.name")` cell. Everything here is deterministic (fixed cell ids,
sorted JSON keys) so `grader build --check` can compare byte for byte.

It also renders the README's "Open in Colab" badge block, and the copy of course.toml and the
visible tests (`grader/course_data/`) that the student release ships so `grader.notebook.check`
finds the visible checks without a `tests/` folder (see `course_data_outputs`; wheels built
from the course repository get the same copy from setup.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jupytext
import nbformat

from grader.authoring import Output
from grader.course import COURSE_FILE, Course, Exercise

NBFORMAT_MINOR = 5
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGES_START = "<!-- colab-badges:start -->"
BADGES_END = "<!-- colab-badges:end -->"
COURSE_DATA = Path("grader") / "course_data"
_DEMO = re.compile(r"""^if\s+__name__\s*==\s*['"]__main__['"]\s*:""")

_NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
    # Colab opens the notebook on a GPU runtime when the course's checks can use one.
    "accelerator": "GPU",
    "colab": {"provenance": []},
}


def install_url(course: Course) -> str:
    return course.notebook.install_url.format(version=course.version)


def _install_source(course: Course) -> str:
    url = install_url(course)
    if not url:
        return ("# This course declares no [notebook] install_url in course.toml, so there is nothing\n"
                "# to install: run this notebook where the course package is already installed.")
    # subprocess rather than %pip: the cell stays valid Python for jupytext, plain IPython and
    # nbclient, and the `if` keeps it a no-op everywhere but Colab.
    return (
        "# In Google Colab this installs the course package (it provides `check` below).\n"
        "# Anywhere else it does nothing: install the course with `pip install -e .` instead.\n"
        "import sys\n"
        "\n"
        "if \"google.colab\" in sys.modules:\n"
        "    import subprocess\n"
        "\n"
        f"    COURSE_PACKAGE = {json.dumps(url)}\n"
        "    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\", COURSE_PACKAGE], check=True)"
    )


def _check_markdown(exercise: Exercise) -> str:
    return (
        "## Check your work\n"
        "\n"
        f"Run the cells above that define {_symbol_list(exercise)}, then run the cell below. It "
        "runs the exercise's visible checks on the functions and classes defined in this "
        "notebook and prints one line per check and your points (on the GPU when this runtime "
        "has one). The grader runs more, hidden checks of the same kind, so passing these is "
        "necessary but not the whole story."
    )


def _symbol_list(exercise: Exercise) -> str:
    names = [f"`{s}`" for s in exercise.symbols]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _cell_id(index: int) -> str:
    return f"cell-{index:03d}"


_DEMO_STOPPED = ('except NotImplementedError as exc:\n'
                 '    print(f"The demo needs your code first ({exc}). Fill it in above, then run this cell again.")')


def _demo_source(text: str) -> str:
    """A demo cell whose first call into an unfinished stub prints one line instead of stopping
    Colab's "Run all" before the check cell. In a notebook `__name__` is always "__main__", so
    the guard becomes a `try:` over the same indented block (its variables stay global)."""
    head, _, body = text.lstrip().partition("\n")
    if not body.strip() or any(line.strip() and not line[:1].isspace() for line in body.splitlines()):
        return text  # not a single indented block: leave it as written
    return f"# Runs once your code above works.\ntry:\n{body.rstrip()}\n{_DEMO_STOPPED}"


def _cells_from_source(source: str) -> list[nbformat.NotebookNode]:
    """Jupytext's cells, stripped of everything that would make the output depend on jupytext's
    version or on random ids; demo cells (code under `if __name__ == "__main__":`) get the tag
    `demo` so tests and tools can leave them out (they download data sets) and survive a stub
    (see _demo_source)."""
    parsed = jupytext.reads(source, fmt="py:percent")
    cells = []
    for cell in parsed.cells:
        text = cell.source.strip("\n")
        if cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(text)
        elif cell.cell_type == "code":
            if not text.strip():
                continue
            if _DEMO.match(text.lstrip()):
                new = nbformat.v4.new_code_cell(_demo_source(text))
                new.metadata["tags"] = ["demo"]
            else:
                new = nbformat.v4.new_code_cell(text)
        else:
            new = nbformat.v4.new_raw_cell(text)
        cells.append(new)
    return cells


def notebook_for(exercise: Exercise, stub_source: str, *, course: Course | None = None) -> str:
    """The .ipynb text (nbformat 4) for one exercise, from its stub (or, for tests, its solution)."""
    if course is None:
        from grader.course import load_course
        course = load_course(exercise.root)
    install = nbformat.v4.new_code_cell(_install_source(course))
    install.metadata["tags"] = ["colab-install"]
    check_md = nbformat.v4.new_markdown_cell(_check_markdown(exercise))
    check_code = nbformat.v4.new_code_cell(
        f"from grader.notebook import check\n\ncheck({json.dumps(exercise.id)})")
    check_code.metadata["tags"] = ["check"]
    cells = [install, *_cells_from_source(stub_source), check_md, check_code]
    for index, cell in enumerate(cells):
        cell["id"] = _cell_id(index)
    nb = nbformat.v4.new_notebook(cells=cells, metadata=json.loads(json.dumps(_NOTEBOOK_METADATA)))
    nb.nbformat_minor = NBFORMAT_MINOR
    nbformat.validate(nb)
    # nbformat.writes sorts keys and indents by 1, like Jupyter itself saves notebooks.
    return nbformat.writes(nb, version=4) + "\n"


# ---------------------------------------------------------------- README badges

def colab_badge_url(course: Course, exercise: Exercise) -> str:
    path = exercise.notebook_path.relative_to(course.root).as_posix()
    return course.notebook.colab_url.format(path=path, version=course.version)


def colab_badges(course: Course) -> str:
    """Markdown table: one "Open in Colab" badge per exercise whose notebook exists (or will,
    because its reference solution exists), in course.toml order."""
    if not course.notebook.colab_url:
        return "_No `[notebook] colab_url` in course.toml, so there are no Colab badges._"
    lines = ["| exercise | title | notebook |", "| --- | --- | --- |"]
    for ex in course.exercises.values():
        if not (ex.notebook_path.is_file() or ex.solution_path.is_file()):
            continue
        lines.append(f"| `{ex.id}` | {ex.title} | [![Open In Colab]({BADGE_IMAGE})]({colab_badge_url(course, ex)}) |")
    return "\n".join(lines)


def readme_with_badges(readme: str, course: Course) -> str | None:
    """README text with the badge block between the markers refreshed; None without markers."""
    start, end = readme.find(BADGES_START), readme.find(BADGES_END)
    if start < 0 or end < start:
        return None
    head = readme[: start + len(BADGES_START)]
    return f"{head}\n{colab_badges(course)}\n{readme[end:]}"


# ---------------------------------------------------------------- course-level build outputs

_DATA_INIT = ('"""Generated by `grader release` (grader.export.notebooks.course_data_outputs): a copy of\n'
              'course.toml and the *visible* tests, so that `grader.notebook.check` works in Colab\n'
              'from the installed package alone. Never edit by hand; nothing secret lives here."""\n')
_PKG_INIT = '"""Generated by `grader release`; see grader/course_data/__init__.py."""\n'


def course_data_outputs(course: Course) -> list[Output]:
    """The package-data copy: grader/course_data/{course.toml, exercises/chN/test_<name>.py}
    plus `__init__.py` files, so that setuptools' package discovery ships the .py test files in
    a wheel (a `pip install git+...` in Colab) without any change to pyproject.toml."""
    data = course.root / COURSE_DATA
    outputs = [Output(data / "__init__.py", _DATA_INIT),
               Output(data / COURSE_FILE, (course.root / COURSE_FILE).read_text(encoding="utf-8")),
               Output(data / "exercises" / "__init__.py", _PKG_INIT)]
    chapters = set()
    for ex in course.exercises.values():
        if not ex.visible_tests_path.is_file():
            continue
        target = data / "exercises" / ex.chapter
        if ex.chapter not in chapters:
            chapters.add(ex.chapter)
            outputs.append(Output(target / "__init__.py", _PKG_INIT))
        outputs.append(Output(target / ex.visible_tests_path.name,
                              ex.visible_tests_path.read_text(encoding="utf-8")))
    return outputs


def readme_output(course: Course) -> Output | None:
    """README.md with its generated blocks (Colab badges, table of contents) refreshed."""
    from grader.export.book import readme_with_contents

    readme = course.root / "README.md"
    if not readme.is_file():
        return None
    text = original = readme.read_text(encoding="utf-8")
    for refresh in (readme_with_badges, readme_with_contents):
        text = refresh(text, course) or text
    return Output(readme, text) if text != original or BADGES_START in original else None


def course_outputs(course: Course) -> list[Output]:
    """Course-level files `grader build` should (re)write besides stubs and notebooks: README's
    generated blocks and a README.md per chapter folder. The course_data copy is not one of
    them: wheels get it at build time (setup.py), the student release writes its own."""
    from grader.export.book import chapter_readmes

    readme = readme_output(course)
    chapters = [Output(path, text) for path, text in chapter_readmes(course).items()]
    return ([] if readme is None else [readme]) + chapters


def write_outputs(outputs: list[Output]) -> list[Path]:
    written = []
    for out in outputs:
        if not out.is_current():
            out.path.parent.mkdir(parents=True, exist_ok=True)
            out.path.write_text(out.content, encoding="utf-8")
            written.append(out.path)
    return written


def main() -> None:
    """`python -m grader.export.notebooks`: refresh the README badge block (`grader build` does
    the same)."""
    from grader.course import load_course
    course = load_course()
    for path in write_outputs(course_outputs(course)):
        print(f"{path.relative_to(course.root)}: written")


if __name__ == "__main__":
    main()


__all__ = ["notebook_for", "colab_badges", "colab_badge_url", "readme_with_badges", "course_outputs",
           "course_data_outputs", "readme_output", "write_outputs", "install_url"]
