"""The reserved `_device` argument: a call runs under `with torch.device(...)` in the worker."""

import textwrap

import pytest
import torch

from grader.checks import reference_call
from grader.checks.student_errors import StudentException
from grader.checks.executor import Executor
from grader.checks.student import LocalTransport, Student

SOURCE = '''
import torch
from torch import nn

def big(n):
    return nn.Sequential(nn.Linear(n, n), nn.ReLU(), nn.Linear(n, 3))

def zeros(n):
    return torch.zeros(n)

def explicit_cpu(n):
    return torch.zeros(n, device="cpu")
'''


@pytest.fixture
def student(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(textwrap.dedent(SOURCE))
    return Student(LocalTransport(Executor.from_file(path, "tg_default_device_mod")))


def test_meta_build_is_cheap_and_inspectable(student):
    h = student.big(4096, _device="meta")
    assert h.num_params() == 4096 * 4096 + 4096 + 4096 * 3 + 3
    assert all(v.device.type == "meta" for v in h.state_dict().values())
    out = h(torch.empty(2, 4096, device="meta"))
    assert out.device.type == "meta" and tuple(out.shape) == (2, 3)
    # forward under the device context too: a tensor the forward creates lands there
    assert student.zeros(5, _device="meta").device.type == "meta"


def test_without_device_nothing_changes(student):
    assert student.zeros(3).device.type == "cpu"
    h = student.big(4)
    assert all(v.device.type == "cpu" for v in h.state_dict().values())


def test_explicit_device_wins(student):
    assert student.explicit_cpu(3, _device="meta").device.type == "cpu"


def test_unknown_device_is_reported(student):
    with pytest.raises(StudentException):
        student.zeros(3, _device="no-such-device")


def test_reference_call_takes_device():
    value, _ = reference_call(torch.zeros, 4, _device="meta")
    assert value.device.type == "meta" and tuple(value.shape) == (4,)
