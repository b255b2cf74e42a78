"""Engine pieces that keep checks fair to real code: lazy modules materialised once
(`_input_shape`), matrix products counted (`_count_ops`), device-keeping on the meta device, and
validate's LOSES_ONLY for a slip one check is about."""

import textwrap

import pytest
import torch

from grader.checks import expect
from grader.checks.executor import Executor
from grader.checks.expect import CheckFailure
from grader.checks.student import LocalTransport, Student
from grader.validate import _literal_assignments

SOURCE = '''
import time
import torch
from torch import nn

def lazy_mlp():
    return nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.Dropout(0.5), nn.LazyLinear(3))

def lazy_bn():
    return nn.Sequential(nn.LazyLinear(4), nn.BatchNorm1d(4))

def eager():
    return nn.Linear(5, 3)

def cpu_zeros(X):
    return torch.zeros(X.shape) + X

def keeps(X):
    return torch.zeros_like(X) + X

def products(n, repeats, dtype=torch.float32):
    x = torch.rand(n, n, dtype=dtype)
    x @ x
    for _ in range(repeats):
        torch.mm(x, x)
    return 0.5
'''


@pytest.fixture
def student(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(textwrap.dedent(SOURCE))
    return Student(LocalTransport(Executor.from_file(path, "tg_fair_checks_mod")))


def test_lazy_module_has_shapes_before_any_forward(student):
    h = student.lazy_mlp(_input_shape=(2, 6))
    assert h.num_params() == 6 * 8 + 8 + 8 * 3 + 3
    assert {k: tuple(v.shape) for k, v in h.state_dict().items()}["0.weight"] == (8, 6)
    assert [m["type"] for m in h.modules()][1] == "Linear"
    assert h.training is True  # materialised in eval mode, handed back in its own mode


def test_materialising_moves_no_random_stream_and_no_statistics(student):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    h = student.lazy_bn(_input_shape=(3, 2))
    assert torch.equal(torch.rand(3), expected)
    sd = h.state_dict()
    assert torch.equal(sd["1.running_mean"], torch.zeros(4)) and int(sd["1.num_batches_tracked"]) == 0


def test_lazy_module_on_meta_and_eager_module_untouched(student):
    h = student.lazy_mlp(_device="meta", _input_shape=(1, 4))
    assert h.num_params() == 4 * 8 + 8 + 8 * 3 + 3
    assert all(v.device.type == "meta" for v in h.state_dict().values())
    assert student.eager(_input_shape=(1, 99)).num_params() == 18


def test_without_input_shape_a_lazy_module_stays_lazy(student):
    with pytest.raises(Exception):
        student.lazy_mlp().num_params()


def test_products_are_counted_by_dtype_whatever_the_spelling(student):
    _, rec = student.call_recorded("products", 8, 4, _count_ops=["mm"])
    assert rec["ops"] == {"mm": {"float32": 5}}
    _, rec = student.call_recorded("products", 8, 0, torch.float64, _count_ops=["mm"])
    assert rec["ops"] == {"mm": {"float64": 1}}
    _, rec = student.call_recorded("products", 8, 1)
    assert "ops" not in rec


def test_meta_device_catches_a_tensor_made_on_the_cpu(student):
    X = torch.empty(3, 4, device="meta")
    out = expect.keeps_meta_device(lambda: student.keeps(X), "keeps(X)")
    assert out.device.type == "meta"
    with pytest.raises(CheckFailure, match="create every tensor on the input's device"):
        expect.keeps_meta_device(lambda: student.cpu_zeros(X), "cpu_zeros(X)")


def test_loses_only_is_read_from_a_variant(tmp_path):
    path = tmp_path / "v.py"
    path.write_text('"""Wrong in naming only."""\nVERDICT = "wrong"\nLOSES_ONLY = ["test_names"]\n')
    values, doc = _literal_assignments(path)
    assert values["LOSES_ONLY"] == ["test_names"] and doc == "Wrong in naming only."
