"""`pytest exercises/chN` against a tiny course: points line, clear failures, --solution."""

import pytest

COURSE = """
[course]
title = "Mini"
[chapters.ch1]
title = "One"
[exercises.ch1.double]
file = "ch1/double.py"
symbols = ["double"]
points = 4
"""

TESTS = '''
import torch
from grader.checks import check, expect
EXERCISE = "ch1.double"

@check(points=1)
def test_double_of_ones(student):
    """double(ones) is twos."""
    expect.close(student.double(torch.ones(3)), torch.full((3,), 2.0))

@check(points=2)
def test_keeps_dtype(student):
    """double keeps float64."""
    expect.close(student.double(torch.ones(2, dtype=torch.float64)), torch.full((2,), 2.0, dtype=torch.float64))

@check(points=1, gpu=True)
def test_on_gpu(student):
    student.double(torch.ones(1, device="cuda"))
'''


@pytest.fixture
def mini(pytester):
    pytester.makefile(".toml", course=COURSE)
    pytester.mkdir("exercises")
    pytester.mkdir("exercises/ch1")
    pytester.mkdir("solutions")
    pytester.mkdir("solutions/ch1")
    (pytester.path / "exercises/ch1/test_double.py").write_text(TESTS)
    (pytester.path / "exercises/ch1/double.py").write_text(
        "def double(x):\n    raise NotImplementedError('multiply by 2')\n")
    (pytester.path / "solutions/ch1/double.py").write_text("def double(x):\n    return 2 * x\n")
    return pytester


def test_stub_fails_with_clear_messages_and_points(mini):
    result = mini.runpytest("exercises/ch1")
    result.assert_outcomes(failed=2, skipped=1)
    result.stdout.fnmatch_lines(["*double is not implemented yet: multiply by 2*",
                                 "*ch1.double: 0/3 visible points*"])
    assert "Traceback" not in result.stdout.str()


def test_solution_flag_runs_against_the_reference(mini):
    result = mini.runpytest("exercises/ch1", "--solution", "-rs")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["*needs a CUDA GPU*"])
    result.stdout.fnmatch_lines(["*ch1.double: 3/3 visible points*"])


def test_wrong_answer_shows_expected_vs_got(mini):
    (mini.path / "exercises/ch1/double.py").write_text("def double(x):\n    return (2 * x).float()\n")
    result = mini.runpytest("exercises/ch1")
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*wrong dtype: got torch.float32, expected torch.float64*",
                                 "*ch1.double: 1/3 visible points*"])
