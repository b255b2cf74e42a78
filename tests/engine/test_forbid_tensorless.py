"""Forbidding torch functions that take no tensor (torch.broadcast_shapes), which no mode sees."""

import pytest
import torch

from grader.checks.student_errors import ForbiddenCall
from grader.checks.executor import Executor
from grader.checks.student import LocalTransport, Student

SOURCE = '''
import torch
from torch import broadcast_shapes as imported_early

def direct(a, b):
    return tuple(torch.broadcast_shapes(a, b))

def early(a, b):
    return tuple(imported_early(a, b))

def via_functional(a, b):
    return tuple(torch.functional.broadcast_shapes(a, b))

def by_hand(a, b):
    return tuple(max(x, y) for x, y in zip(a, b))
'''

NAMES = ("direct", "early", "via_functional", "by_hand")


@pytest.fixture(scope="module")
def students(tmp_path_factory):
    path = tmp_path_factory.mktemp("sub") / "shapes.py"
    path.write_text(SOURCE)
    banned = Student(LocalTransport(Executor.from_file(path, "test_forbid_tensorless_mod",
                                                       forbid={n: ("broadcast_shapes",) for n in NAMES})))
    free = Student(LocalTransport(Executor.from_file(path, "test_forbid_tensorless_free")))
    return banned, free


@pytest.mark.parametrize("name", ["direct", "early", "via_functional"])
def test_banned_under_any_name(students, name):
    banned, free = students
    with pytest.raises(ForbiddenCall, match="broadcast_shapes"):
        banned.call(name, (3, 1), (1, 2))
    assert free.call(name, (3, 1), (1, 2)) == (3, 2)  # allowed where nothing bans it


def test_other_code_and_callers_outside_a_guard_are_unaffected(students):
    banned, _ = students
    assert banned.by_hand((3, 1), (1, 2)) == (3, 2)
    assert torch.broadcast_shapes((2, 1), (1, 4)) == torch.Size([2, 4])
