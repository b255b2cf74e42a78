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


FIRST_SEVEN = ["ch3.softmax", "ch3.training", "ch4.dropout", "ch5.gpu", "ch6.convolution", "ch6.training_gpu",
               "ch7.googlenet"]


def test_real_course_keeps_the_first_seven_and_reads_in_chapter_order(course_root):
    course = load_course(course_root)
    assert set(FIRST_SEVEN) <= set(course.exercises)
    assert [e for e in course.exercises if e in FIRST_SEVEN] == FIRST_SEVEN
    assert list(course.chapters) == ["ch2", "ch3", "ch4", "ch5", "ch6", "ch7"]
    order = [list(course.chapters).index(e.chapter) for e in course.exercises.values()]
    assert order == sorted(order), "exercises are grouped by chapter, in chapter order"
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
    ("[grading]", "[grading]\nwarp = 3", "grading.warp: unknown key (known: check_timeout, "),
    # a typo anywhere is an error naming the key path and the nearest valid key, never ignored
    ("points = 5", "points = 5\nforbidd = { dropout_layer = ['dropout'] }",
     "exercises.ch4.dropout.forbidd: unknown key (did you mean 'forbid'?)"),
    ("points = 5", "poinst = 5", "exercises.ch4.dropout.poinst: unknown key (did you mean 'points'?)"),
    ('title = "MLP"', 'tittle = "MLP"', "chapters.ch4.tittle: unknown key (did you mean 'title'?)"),
    ("[grading]", '[notebook]\ncolab_ur = "x"\n[grading]', "notebook.colab_ur: unknown key (did you mean 'colab_url'?)"),
    ("[grading]", "[grading]\ncheck_timout = 3", "grading.check_timout: unknown key (did you mean 'check_timeout'?)"),
    ('version = "1"', 'version = "1"\nverison = "2"', "course.verison: unknown key (did you mean 'version'?)"),
    ("[grading]", "[gradng]", "gradng: unknown key (did you mean 'grading'?)"),
    # an LMS download keeps only a file's own name: two exercises may not share one
    ("points = 5", 'points = 5\n[chapters.ch5]\ntitle = "B"\n[exercises.ch5.drop]\nfile = "ch5/dropout.py"\n'
                   'symbols = ["d"]\npoints = 1',
     "exercises.ch5.drop.file: dropout.py is also the file name of ch4.dropout; give every exercise a file name"),
])
def test_bad_course_toml_names_key_and_problem(tmp_path, old, new, message):
    root = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(CourseError) as err:
        load_course(root)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def _with_solution(tmp_path: Path, source: str, text: str = GOOD) -> Path:
    (tmp_path / "solutions" / "ch4").mkdir(parents=True)
    (tmp_path / "solutions" / "ch4" / "dropout.py").write_text(source)
    return write(tmp_path, text)


def test_the_reference_file_must_exist_where_solutions_are(tmp_path):
    root = _with_solution(tmp_path, "def dropout_layer(X, p):\n    return X\n",
                          GOOD.replace("ch4/dropout.py", "ch4/dropuot.py"))
    with pytest.raises(CourseError, match=r"^exercises.ch4.dropout.file: solutions/ch4/dropuot.py does not exist$"):
        load_course(root)


def test_every_symbol_must_be_defined_by_the_reference(tmp_path):
    root = _with_solution(tmp_path, "import torch\n\nclass DropoutMLP:\n    pass\n\ndef dropout_layer(X, p):\n    return X\n",
                          GOOD.replace('symbols = ["dropout_layer"]', 'symbols = ["dropout_layer", "DropoutMPL"]'))
    with pytest.raises(CourseError, match=r"^exercises.ch4.dropout.symbols: 'DropoutMPL' is not defined in "
                                          r"solutions/ch4/dropout.py \(did you mean 'DropoutMLP'\?\)$"):
        load_course(root)
    (root / "solutions" / "ch4" / "dropout.py").write_text("DropoutMPL = 1\ndef dropout_layer(X, p):\n    return X\n")
    assert load_course(root).exercise("ch4.dropout").symbols == ("dropout_layer", "DropoutMPL")


def test_a_student_release_without_solutions_loads(tmp_path):
    assert load_course(write(tmp_path, GOOD)).exercise("ch4.dropout").file == "ch4/dropout.py"


def test_invalid_toml_syntax(tmp_path):
    with pytest.raises(CourseError, match="not valid TOML"):
        load_course(write(tmp_path, "[course\n"))


def test_cli_prints_one_line_not_a_traceback(tmp_path):
    write(tmp_path, GOOD.replace("points = 5", "points = -1"))
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "list"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    # one red line on stderr, nothing on stdout (the one error path of every verb)
    assert proc.stderr.strip() == "error: exercises.ch4.dropout.points must be a positive number, got -1"
    assert proc.stdout == ""


def test_cli_tables_show_text_that_looks_like_markup(tmp_path):
    """A variant's docstring is the author's text, not rich markup: `[/]` must not crash the
    table and `X[i:i + ph]` must show as written."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("kit", Path(__file__).parents[1] / "grading" / "kit.py")
    kit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kit)
    root = kit.make_course(tmp_path / "course")
    variant = root / "solutions" / "ch1" / "variants" / "basics" / "window.py"
    variant.parent.mkdir(parents=True)
    variant.write_text('"""Wrong: sums the window X[i:i + ph] then closes a tag [/] too early."""\n'
                       'VERDICT = "wrong"\n\ndef add(a, b):\n    return a - b\n\ndef scale(x, factor):\n'
                       '    return x * factor\n')
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "validate", "--exercise", "ch1.basics", "--jobs", "1"],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert "X[i:i + ph]" in proc.stdout and "tag [/] too early" in proc.stdout


def test_a_broken_command_import_is_an_import_error_not_a_stand_in():
    code = ("import sys; sys.modules['grader.grading.cli_grade'] = None\n"
            "try:\n    import grader.cli\nexcept ImportError as exc:\n    print('ImportError', exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.startswith("ImportError") and "cli_grade" in proc.stdout, proc.stdout + proc.stderr
