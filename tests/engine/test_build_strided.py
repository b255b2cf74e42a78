"""specs.strided: a tensor arrives in the student's code with the layout it has in the check."""

import pytest
import torch

from grader.checks import specs, reference_call
from grader.checks.executor import Executor
from grader.checks.student import LocalTransport, Student

SOURCE = '''
def layout(X):
    return tuple(X.shape), tuple(X.stride()), X.storage_offset(), X.is_contiguous(), str(X.device), X.clone()
'''


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    path = tmp_path_factory.mktemp("sub") / "mod.py"
    path.write_text(SOURCE)
    return Student(LocalTransport(Executor.from_file(path, "test_build_strided_mod")))


def _layout(X):
    return tuple(X.shape), tuple(X.stride()), X.storage_offset(), X.is_contiguous(), str(X.device)


@pytest.mark.parametrize("make", [
    lambda: torch.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1),
    lambda: torch.arange(60).reshape(3, 4, 5)[:, ::2, 1:],
    lambda: torch.randn(3, 1).expand(3, 4),
    lambda: (torch.rand(4, 5) > 0.5).T,
])
def test_layout_and_values_survive(student, make):
    X = make()
    got = student.layout(specs.strided(X))
    assert got[:5] == _layout(X) and not got[3]
    assert torch.equal(got[5], X)
    # a plain tensor argument arrives contiguous: that is why the build exists
    assert student.layout(X)[3] is True


def test_meta_and_reference_call(student):
    X = torch.empty(2, 3, 5, device="meta").transpose(1, 2)
    got = student.layout(specs.strided(X))
    assert got[:5] == _layout(X)
    value, _ = reference_call(lambda t: _layout(t), specs.strided(torch.arange(6.0).reshape(2, 3).T))
    assert value == ((3, 2), (1, 3), 0, False, "cpu")


def test_two_strided_arguments_need_their_own_labels(student):
    A = torch.arange(6.0).reshape(2, 3).T
    B = torch.arange(8.0).reshape(2, 4).T
    value, _ = reference_call(lambda a, b: (a.shape, b.shape), specs.strided(A, label="a"),
                              specs.strided(B, label="b"))
    assert value == (torch.Size([3, 2]), torch.Size([4, 2]))
