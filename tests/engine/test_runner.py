"""The runner turns each outcome of a check into a status and scales points."""

import textwrap

import torch

from grader.checks import check, expect
from grader.checks.executor import Executor
from grader.checks.runner import Check, exercise_score, run_check
from grader.checks.registry import info_of
from grader.checks.student import LocalTransport, Student
from grader.course import load_course


def make_check(fn, visible=True):
    return Check("ch4.dropout", fn.__name__, fn, info_of(fn), visible, __file__, 1)


def student_for(tmp_path, source):
    path = tmp_path / "m.py"
    path.write_text(textwrap.dedent(source))
    return Student(LocalTransport(Executor.from_file(path, f"runner_{abs(hash(source))}",
                                                     forbid={"cheat": ("dropout",)})))


SRC = """
import torch
def ok(x): return x
def wrong(x): return x + 1
def cheat(x): return torch.nn.functional.dropout(x, 0.5)
def slow(x): raise NotImplementedError
"""


@check(points=2)
def c_ok(student):
    expect.close(student.ok(torch.ones(2)), torch.ones(2))


@check(points=1)
def c_wrong(student):
    """wrong values."""
    expect.close(student.wrong(torch.ones(2)), torch.ones(2))


@check(points=1)
def c_cheat(student):
    student.cheat(torch.ones(2))


@check(points=1)
def c_missing(student):
    student.absent(1)


@check(points=1)
def c_stub(student):
    student.slow(1)


@check(points=3, gpu=True)
def c_gpu(student):
    pass


def test_statuses(tmp_path):
    s = student_for(tmp_path, SRC)
    run = lambda fn, **kw: run_check(make_check(fn, **kw), student=s, reference_module=None,  # noqa: E731
                                     device=torch.device("cpu"), gpu_available=False)
    assert (run(c_ok).status, run(c_ok).points) == ("passed", 2)
    r = run(c_wrong)
    assert r.status == "failed" and r.points == 0 and "got [2, 2]" in r.message
    hidden = run(c_wrong, visible=False)
    assert "got" not in hidden.message and "got [2, 2]" in hidden.detail  # values only for the instructor
    assert run(c_cheat).status == "forbidden"
    assert run(c_missing).status == "missing"
    assert run(c_stub).status == "error" and "not implemented" in run(c_stub).message


def test_gpu_policy_without_gpu(tmp_path):
    s = student_for(tmp_path, SRC)
    for policy, points, maximum in [("skip", 0, 0), ("award", 3, 3), ("zero", 0, 3)]:
        r = run_check(make_check(c_gpu), student=s, reference_module=None, device=torch.device("cpu"),
                      gpu_available=False, gpu_policy=policy)
        assert (r.status, r.points, r.max_points) == ("skipped", points, maximum)
        assert policy in r.message


def test_score_is_scaled_to_course_points(course_root, tmp_path):
    ex = load_course(course_root).exercises["ch4.dropout"]
    s = student_for(tmp_path, SRC)
    results = [run_check(make_check(fn), student=s, reference_module=None, device=torch.device("cpu"),
                         gpu_available=False) for fn in (c_ok, c_wrong, c_gpu)]
    assert exercise_score(results, ex) == (round(ex.points * 2 / 3, 4), ex.points)
