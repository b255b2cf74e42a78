"""Additive engine pieces: layer / sequential / generator builds, student.make, student.instance,
Handle.type_names."""

import torch
from torch import nn

from grader.checks import specs, expect, reference_call
from grader.checks.specs import BuildContext
from grader.checks.executor import Executor
from grader.checks.student import Handle, LocalTransport, Student

SOURCE = '''
import torch
from torch import nn

def apply(m, X):
    return m(X)

def names(m):
    return [type(c).__name__ for c in m.children()]

def children_one_by_one(m, X, no_grad):
    with torch.set_grad_enabled(not no_grad):
        for c in m.children():
            X = c(X)
    return X

def draw(n, generator=None):
    return torch.randperm(n, generator=generator)

class Counter:
    def __init__(self, start):
        self.count = start
    def bump(self, model):
        self.count += 1
        self.state = {k: v.clone() for k, v in model.state_dict().items()}
        return self.count

class Seq(nn.Sequential):
    pass

class Keeper:
    def __init__(self, model):
        import copy
        self.saved = copy.deepcopy(model.state_dict())   # an OrderedDict
'''


def _student(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(SOURCE)
    return Student(LocalTransport(Executor.from_file(path, "test_builds_layers_mod")))


def test_layer_and_sequential_builds(tmp_path):
    student = _student(tmp_path)
    conv = specs.layer("Conv2d", 1, 2, 3, padding=1, seed=4, label="conv")
    X = torch.randn(2, 1, 5, 5)
    got, records = student.call_recorded("apply", conv, X)
    exp, ref = reference_call(lambda m, x: m(x), conv, X)
    expect.close(got, exp)
    assert records["conv"]["forwards"] == 1 and records["conv"]["device"] == "cpu"
    relu = specs.layer("ReLU", label="relu")
    _, records = student.call_recorded("apply", relu, X)
    assert records["relu"]["final_state"] == {} and records["relu"]["device"] == "cpu"
    net = specs.sequential(("Conv2d", 1, 2, 3, {"padding": 1}), ("BatchNorm2d", 2), ("ReLU",), ("Flatten",),
                           seed=1, training=False)
    assert student.names(net) == ["Conv2d", "BatchNorm2d", "ReLU", "Flatten"]
    built = BuildContext().make(net)
    assert isinstance(built, nn.Sequential) and not built.training


def test_sequential_records_its_childrens_forwards(tmp_path):
    # code that walks net.children() never calls the container: its children's passes are recorded
    student = _student(tmp_path)
    net = specs.sequential(("Linear", 3, 4), ("ReLU",), seed=1, label="net", training=False)
    X = torch.randn(2, 3)
    for no_grad in (True, False):
        _, records = student.call_recorded("children_one_by_one", net, X, no_grad)
        assert records["net"]["forwards"] == 0
        assert records["net"]["child_grad_enabled"] == [not no_grad] * 2
        assert records["net"]["child_modes"] == [False, False]
    _, records = student.call_recorded("apply", net, X)
    assert records["net"]["forwards"] == 1 and records["net"]["child_grad_enabled"] == [True, True]


def test_generator_build(tmp_path):
    student = _student(tmp_path)
    a = student.draw(10, generator=specs.generator(7), _seed=1)
    b = student.draw(10, generator=specs.generator(7), _seed=2)
    assert torch.equal(a, b) and torch.equal(a, torch.randperm(10, generator=torch.Generator().manual_seed(7)))


def test_make_and_instance(tmp_path):
    student = _student(tmp_path)
    model = student.make(specs.layer("Linear", 3, 2, seed=5))
    assert isinstance(model, Handle) and model.type_name == "Linear"
    counter = student.instance("Counter", 10)
    assert isinstance(counter, Handle) and counter.type_name == "Counter"
    assert counter.call_method("bump", model) == 11
    sd = model.state_dict()
    expect.close(counter.attr("state"), sd)
    model.load_state_dict({k: torch.zeros_like(v) for k, v in sd.items()})
    expect.close(counter.attr("state"), sd)  # the copy kept the old weights
    assert counter.attr("count") == 11


def test_type_names(tmp_path):
    student = _student(tmp_path)
    names = student.Seq().type_names()
    assert names[0].endswith(".Seq") and "torch.nn.modules.container.Sequential" in names


def test_attr_as_dict_reads_an_ordered_dict(tmp_path):
    student = _student(tmp_path)
    model = student.make(specs.layer("Linear", 2, 2, seed=3))
    keeper = student.instance("Keeper", model)
    saved = keeper.attr_as_dict("saved")
    assert type(saved) is dict
    expect.close(saved, model.state_dict())
