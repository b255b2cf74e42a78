"""Builds of tensors and numpy arrays next to the student code: aliasing and `is_result` records."""

import numpy as np
import pytest
import torch

from grader.checks import specs, reference_call
from grader.checks.executor import Executor
from grader.checks.student import LocalTransport, Student

SOURCE = '''
import numpy as np
import torch

def shares(a, b):
    return bool(np.shares_memory(np.asarray(a), np.asarray(b)))

def kinds(*objs):
    return [(type(o).__name__, str(o.dtype)) for o in objs]

def add_in_place(X, Y):
    X += Y
    return X

def add_new(X, Y):
    return X + Y
'''


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    path = tmp_path_factory.mktemp("sub") / "arrays.py"
    path.write_text(SOURCE)
    return Student(LocalTransport(Executor.from_file(path, "test_build_arrays_mod")))


def test_kinds_and_dtypes(student):
    t = specs.tensor(torch.arange(4.0), label="t")
    n = specs.ndarray(torch.arange(4, dtype=torch.float64), label="n")
    got = student.kinds(t, n, specs.derived("t", "numpy", label="tn"), specs.derived("n", "from_numpy", label="nt"),
                        specs.derived("n", "torch_tensor", label="copy"))
    assert got == [("Tensor", "torch.float32"), ("ndarray", "float64"), ("ndarray", "float32"),
                   ("Tensor", "torch.float64"), ("Tensor", "torch.float64")]


@pytest.mark.parametrize("how, params, expected", [
    ("numpy", {}, True), ("np_array", {}, False), ("copy", {}, False), ("slice", {"index": [(1, 3)]}, True),
    ("reshape", {"shape": (2, 3)}, True), ("view_dtype", {"dtype": "int32"}, True),
])
def test_derived_from_a_tensor(student, how, params, expected):
    t = specs.tensor(torch.arange(6.0), label="t")
    assert student.shares(t, specs.derived("t", how, label="d", **params)) is expected


def test_derived_from_an_array_and_nested_sources(student):
    n = specs.ndarray(torch.ones(2, 3, dtype=torch.float64), label="n")
    assert student.shares(n, specs.derived("n", "from_numpy", label="t")) is True
    assert student.shares(n, specs.derived("n", "torch_tensor", label="t")) is False
    assert student.shares(n, specs.derived("n", "transpose", label="t")) is True
    base = specs.tensor(torch.arange(8.0), label="base")
    left = specs.derived(base, "slice", index=[(0, 4)], label="left")
    right = specs.derived(base, "slice", index=[(4, None)], label="right")
    assert student.shares(left, right) is False
    assert student.shares(left, specs.derived(base, "slice", index=[(3, 6)], label="mid")) is True


def test_unknown_derivation_is_refused():
    with pytest.raises(ValueError, match="unknown derivation"):
        specs.derived("t", "transmogrify", label="x")


def test_records_say_whether_the_result_is_the_built_object(student):
    X = specs.tensor(torch.zeros(3), label="X")
    value, rec = student.call_recorded("add_in_place", X, torch.ones(3))
    assert rec["X"]["is_result"] is True and torch.equal(rec["X"]["value"], torch.ones(3))
    value, rec = student.call_recorded("add_new", X, torch.ones(3))
    assert rec["X"]["is_result"] is False and torch.equal(rec["X"]["value"], torch.zeros(3))
    ns: dict = {}
    exec(SOURCE, ns)
    _, ref = reference_call(ns["add_in_place"], X, torch.ones(3))
    assert ref["X"]["is_result"] is True and torch.equal(ref["X"]["value"], torch.ones(3))


def test_ndarray_records_hold_its_contents(student):
    n = specs.ndarray(torch.arange(3, dtype=torch.float64), label="n")
    value, rec = student.call_recorded("shares", n, specs.derived("n", "slice", index=[(None, None, -1)], label="r"))
    assert value is True
    assert torch.equal(rec["r"]["value"], torch.tensor([2.0, 1.0, 0.0], dtype=torch.float64))
    assert rec["n"]["is_result"] is False and np.array_equal(rec["n"]["value"].numpy(), np.arange(3.0))
