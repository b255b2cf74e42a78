"""course.toml loading: the real file loads; every mistake is one line naming the key."""

import subprocess
import sys
from pathlib import Path

import pytest

from grader.course import CourseError, load_course

GOOD = """
[course]
title = "T"
version = "1"
[grading]
gpu_policy = "skip"
[chapters.ch4]
title = "MLP"
[exercises.ch4.dropout]
file = "ch4/dropout.py"
symbols = ["dropout_layer"]
points = 5
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "course.toml").write_text(text)
    return tmp_path


def test_real_course_has_the_seven_exercises(course_root):
    course = load_course(course_root)
    assert list(course.exercises) == ["ch3.softmax", "ch3.training", "ch4.dropout", "ch5.gpu",
                                      "ch6.convolution", "ch6.training_gpu", "ch7.googlenet"]
    ex = course.exercises["ch6.convolution"]
    assert ex.stub_path == course_root / "exercises/ch6/convolution.py"
    assert ex.hidden_checks_path == course_root / "solutions/ch6/test_convolution_hidden.py"
    assert "conv2d" in ex.forbid["corr2d"]
    assert course.grading.gpu_policy in ("skip", "award", "zero")


@pytest.mark.parametrize("old,new,message", [
    ("points = 5", "points = -1", "exercises.ch4.dropout.points must be a positive number, got -1"),
    ("points = 5", "points = \"five\"", "exercises.ch4.dropout.points must be a positive number, got 'five'"),
    ('gpu_policy = "skip"', 'gpu_policy = "maybe"', "grading.gpu_policy must be one of skip, award, zero"),
    ('symbols = ["dropout_layer"]', "symbols = []", "exercises.ch4.dropout.symbols must be a non-empty list"),
    ('file = "ch4/dropout.py"', 'file = "../x.py"', "exercises.ch4.dropout.file must be a relative path"),
    ("[chapters.ch4]", "[chapters.ch9]", "exercises.ch4: no chapter 'ch4' in [chapters]"),
    ('title = "T"', "", "course.title is missing"),
    ("[grading]", "[grading]\nwarp = 3", "grading.warp is not a known setting"),
])
def test_bad_course_toml_names_key_and_problem(tmp_path, old, new, message):
    root = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(CourseError) as err:
        load_course(root)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_invalid_toml_syntax(tmp_path):
    with pytest.raises(CourseError, match="not valid TOML"):
        load_course(write(tmp_path, "[course\n"))


def test_cli_prints_one_line_not_a_traceback(tmp_path):
    write(tmp_path, GOOD.replace("points = 5", "points = -1"))
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "list"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "exercises.ch4.dropout.points must be a positive number, got -1" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
