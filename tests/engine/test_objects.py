"""new_object handles (DataLoader, Dataset, generator), their items/len/getitem/type_names, and
the generator and params builds."""

import textwrap

import pytest
import torch

from grader.checks import specs, reference_call
from grader.checks.student_errors import NotPlainData, StudentException
from grader.checks.executor import Executor
from grader.checks.student import LocalTransport, Student

SOURCE = textwrap.dedent('''
    import torch
    from torch.utils.data import DataLoader, Dataset, TensorDataset

    class Pairs(Dataset):
        def __init__(self, n):
            self.n = n
        def __len__(self):
            return self.n
        def __getitem__(self, i):
            if i >= self.n:
                raise IndexError(i)
            return torch.tensor(float(i)), torch.tensor(i)

    def loader(X, y, bs):
        return DataLoader(TensorDataset(X, y), batch_size=bs, shuffle=True)

    def batches(n, bs, generator=None):
        order = torch.randperm(n, generator=generator)
        for i in range(0, n, bs):
            yield order[i:i + bs]

    def endless():
        while True:
            yield 1

    def plain():
        return [1, 2]

    def draw(generator=None, n=2):
        return torch.rand(n, generator=generator) if n else None

    def sgd(params, lr):
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()
''')


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    path = tmp_path_factory.mktemp("sub") / "objmod.py"
    path.write_text(SOURCE)
    return Student(LocalTransport(Executor.from_file(path, "test_objects_mod")))


def test_dataset_handle(student):
    h = student.new_object("Pairs", 4)
    assert h.len() == 4
    x, i = h.getitem(2)
    assert x.dtype == torch.float32 and i.dtype == torch.int64 and int(i) == 2
    assert "torch.utils.data.dataset.Dataset" in h.type_names()
    assert len(h.items()) == 4  # iterated through __getitem__ until IndexError
    with pytest.raises(StudentException):
        h.getitem(9)


def test_dataloader_handle_and_object_attributes(student):
    X, y = torch.arange(10.0).reshape(10, 1), torch.arange(10)
    h = student.new_object("loader", X, y, 3)
    assert h.type_name == "DataLoader" and h.attr("batch_size") == 3 and h.len() == 4
    assert h.attr("sampler").type_name == "RandomSampler"
    assert h.attr("dataset").type_name == "TensorDataset"
    first = h.items(_seed=1)
    assert [len(b[1]) for b in first] == [3, 3, 3, 1]
    assert sorted(torch.cat([b[1] for b in first]).tolist()) == list(range(10))
    again = h.items(_seed=1)
    assert all(torch.equal(a[1], b[1]) for a, b in zip(first, again))  # same seed, same epoch


def test_generator_handle_drains_once(student):
    h = student.new_object("batches", 7, 3, specs.generator(5))
    items = h.items()
    expected = torch.randperm(7, generator=torch.Generator().manual_seed(5))
    assert torch.equal(torch.cat(items), expected) and h.items() == []
    with pytest.raises(StudentException):
        student.new_object("endless").items(limit=50)


def test_new_object_refuses_plain_data_and_call_keeps_refusing_objects(student):
    with pytest.raises(NotPlainData):
        student.new_object("plain")
    with pytest.raises(NotPlainData):
        student.call("batches", 4, 2)


def test_params_build_records_updates(student):
    values = [torch.ones(2, 2), torch.zeros(3)]
    grads = [torch.full((2, 2), 2.0), torch.ones(3)]
    _, rec = student.call_recorded("sgd", specs.params(values, grads), 0.5)
    assert torch.equal(rec["params"]["values"][0], torch.zeros(2, 2))
    assert torch.equal(rec["params"]["values"][1], torch.full((3,), -0.5))
    assert all(float(g.abs().sum()) == 0 for g in rec["params"]["grads"])
    assert rec["params"]["requires_grad"] == [True, True] and rec["params"]["is_leaf"] == [True, True]
    ns: dict = {}
    exec(SOURCE, ns)
    _, ref = reference_call(ns["sgd"], specs.params(values, grads), 0.5)
    assert torch.equal(ref["params"]["values"][1], rec["params"]["values"][1])


def test_generator_build_records_use(student):
    value, rec = student.call_recorded("draw", specs.generator(1), _seed=3)
    assert rec["generator"] == {"used": True}
    assert torch.equal(value, torch.rand(2, generator=torch.Generator().manual_seed(1)))
    _, rec = student.call_recorded("draw", specs.generator(1), 0)
    assert rec["generator"] == {"used": False}
