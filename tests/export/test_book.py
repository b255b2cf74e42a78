"""The course as a book: README's table of contents and the chapter READMEs come from course.toml
and each exercise's opening paragraph, and `grader build --check` notices when they are stale."""

from __future__ import annotations

from pathlib import Path

from grader.authoring import build
from grader.course import load_course
from grader.export.book import chapter_readme, contents_table, opening_paragraph, readme_with_contents

ROOT = Path(__file__).resolve().parents[2]

SOURCE = '''# %% [markdown]
# # Adding
#
# Adding two tensors is the first thing
# anyone does with them. It works entrywise.
#
# ## What to write
#
# `add(a, b)`.

# %%
def add(a, b):
    ### BEGIN SOLUTION
    return a + b
    ### END SOLUTION
'''


def _course(tmp_path: Path):
    (tmp_path / "solutions" / "ch1").mkdir(parents=True)
    (tmp_path / "solutions" / "ch1" / "basics.py").write_text(SOURCE)
    (tmp_path / "course.toml").write_text(
        '[course]\ntitle = "T"\n[chapters.ch1]\ntitle = "Basics"\n'
        '[exercises.ch1.basics]\ntitle = "Adding"\nfile = "ch1/basics.py"\nsymbols = ["add"]\npoints = 4\n')
    (tmp_path / "README.md").write_text("# T\n\n<!-- contents:start -->\nold\n<!-- contents:end -->\n")
    return load_course(tmp_path)


def test_opening_paragraph_is_the_text_after_the_title(tmp_path: Path) -> None:
    course = _course(tmp_path)
    ex = course.exercise("ch1.basics")
    assert opening_paragraph(ex) == "Adding two tensors is the first thing anyone does with them. It works entrywise."
    table = contents_table(course)
    assert "| [ch1: Basics](exercises/ch1/README.md) | `ch1.basics` [Adding](exercises/ch1/basics.py) | " \
           "Adding two tensors is the first thing anyone does with them. | 4 |" in table
    assert "**1 exercises**" in table and "**4**" in table
    text = chapter_readme(course, course.chapters["ch1"])
    assert text.startswith("# ch1: Basics\n") and "You write: `add`." in text


def test_build_writes_them_and_check_sees_them_stale(tmp_path: Path) -> None:
    course = _course(tmp_path)
    build(course)
    assert "`ch1.basics`" in (tmp_path / "README.md").read_text()
    assert (tmp_path / "exercises" / "ch1" / "README.md").is_file()
    assert all(current for _, current in build(course, write=False))
    (tmp_path / "solutions" / "ch1" / "basics.py").write_text(SOURCE.replace("first thing", "second thing"))
    stale = {out.path for out, current in build(load_course(tmp_path), write=False) if not current}
    assert {tmp_path / "README.md", tmp_path / "exercises" / "ch1" / "README.md"} <= stale


def test_the_real_course_lists_every_exercise_once() -> None:
    course = load_course(ROOT)
    text = readme_with_contents((ROOT / "README.md").read_text(), course)
    assert text is not None
    for ex_id in course.exercises:
        assert text.count(f"`{ex_id}`") >= 1
