"""Single source: stubs come from solutions, and the committed stubs are what build makes."""

import ast

import pytest

from grader.authoring import AuthoringError, build, make_stub
from grader.course import load_course

SOLUTION = '''# %% [markdown]
# Explain things.

# %%
def f(x):
    """Double x."""
    ### BEGIN SOLUTION
    # HINT: multiply by two
    return 2 * x
    ### END SOLUTION


class C:
    def g(self):
        ### BEGIN SOLUTION
        return 1
        ### END SOLUTION
'''


def test_stub_replaces_blocks_and_keeps_the_rest():
    stub = make_stub(SOLUTION)
    assert 'raise NotImplementedError("multiply by two")' in stub
    assert '        raise NotImplementedError("write your code here")' in stub
    assert "return 2 * x" not in stub and "BEGIN SOLUTION" not in stub
    assert '"""Double x."""' in stub and "# Explain things." in stub
    ast.parse(stub)


@pytest.mark.parametrize("source,words", [
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "module level"),
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "never closed"),
    ("def f():\n    return 1\n    ### END SOLUTION\n", "without a"),
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n", "inside another"),
])
def test_bad_markers_are_explained(source, words):
    with pytest.raises(AuthoringError, match=words):
        make_stub(source, "x.py")


def test_committed_stubs_are_what_build_generates(course_root):
    course = load_course(course_root)
    stale = [str(out.path.relative_to(course_root)) for out, current in build(course, write=False)
             if not current]
    assert not stale, f"run `grader build` and commit: {stale}"


def test_no_solution_text_in_exercises(course_root):
    leaks = [p for p in (course_root / "exercises").rglob("*") if p.is_file()
             and "BEGIN SOLUTION" in p.read_text(errors="replace")]
    assert not leaks
