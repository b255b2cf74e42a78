"""specs.net: named layers, shared and tied parameters, frozen names, records and the trusted step."""

import pytest
import torch
from torch import nn

from grader.checks import specs, reference_call
from grader.checks.specs import BuildContext, TaggedConv2d, TaggedLinear
from grader.checks.executor import Executor
from grader.checks.student import LocalTransport, Student

LAYERS = [["features", "seq", [["0", "conv2d", 1, 2, 3, 1], ["1", "batchnorm2d", 2], ["2", "subconv2d", 2, 2, 3, 1]]],
          ["flat", "flatten"], ["fc0", "sublinear", 32, 4], ["sq", "linear", 4, 4], ["again", "shared", "sq"],
          ["tie", "tied", "sq"], ["fc", "linear", 4, 3]]

SOURCE = '''
def freeze_fc_only(net):
    for n, p in net.named_parameters():
        p.requires_grad = n.startswith("fc.")

def break_it(net):
    import torch
    net.fc = torch.nn.Linear(99, 2)
'''


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    path = tmp_path_factory.mktemp("sub") / "mod.py"
    path.write_text(SOURCE)
    return Student(LocalTransport(Executor.from_file(path, "test_build_net_mod")))


def test_structure_sharing_and_frozen():
    ctx = BuildContext()
    net = ctx.make(specs.net(LAYERS, seed=3, frozen=["features"]))
    assert isinstance(net.fc0, TaggedLinear) and isinstance(net.features[2], TaggedConv2d)
    assert net.again is net.sq and net.tie.weight is net.sq.weight and net.tie.bias is not net.sq.bias
    assert [n for n, p in net.named_parameters() if not p.requires_grad] == [
        "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
        "features.2.weight", "features.2.bias"]
    again = BuildContext().make(specs.net(LAYERS, seed=3, frozen=["features"]))
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), again.state_dict().values()))
    assert net(torch.randn(2, 1, 4, 4)).shape == (2, 3)


def test_dtype_device_and_records(student):
    spec = specs.net(LAYERS, seed=1, dtype=torch.float64, step={"input_shape": [2, 1, 4, 4], "lr": 0.5, "seed": 2})
    _, rec = student.call_recorded("freeze_fc_only", spec)
    net = rec["net"]
    assert net["built_state"]["fc.weight"].dtype == torch.float64
    assert net["requires_grad"]["fc.weight"] and not net["requires_grad"]["sq.weight"]
    assert {m["name"]: m["type"] for m in net["modules"]}["fc0"] == "TaggedLinear"
    changed = sorted(n for n, t in net["after_step"].items() if not torch.equal(t, net["final_state"][n]))
    assert changed == ["fc.bias", "fc.weight"]
    _, ref = reference_call(lambda n: None, specs.net(LAYERS, seed=1, device="meta"))
    assert ref["net"]["final_state"]["fc.weight"].device.type == "meta"


def test_step_error_is_recorded_not_raised(student):
    spec = specs.net(LAYERS, seed=1, step={"input_shape": [2, 1, 4, 4]})
    _, rec = student.call_recorded("break_it", spec)
    assert "error" in rec["net"]["after_step"]


def test_sgd_build_accepts_a_net():
    ctx = BuildContext()
    net = ctx.make(specs.net([["fc", "linear", 2, 2]], label="m"))
    opt = ctx.make(specs.sgd("m", lr=0.1, momentum=0.9))
    assert isinstance(net, nn.Sequential) and opt.param_groups[0]["momentum"] == 0.9
