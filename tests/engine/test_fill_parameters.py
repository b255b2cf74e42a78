"""The fill_parameters probe: the same deterministic weights in the worker and in the judge."""

import textwrap

import torch
from torch import nn

from grader.checks.executor import Executor
from grader.checks.probes import fill_parameters, pattern_tensor
from grader.checks.student import LocalTransport, Student

SOURCE = '''
from torch import nn

def net():
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(4))

def plain():
    return nn.Sequential(nn.Linear(5, 7), nn.BatchNorm1d(7), nn.Linear(7, 2))
'''


def _student(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(textwrap.dedent(SOURCE))
    return Student(LocalTransport(Executor.from_file(path, "tg_fill_mod")))


def test_pattern_is_deterministic_and_not_periodic_per_row():
    a = pattern_tensor((64, 4100), seed=3, key=5)
    assert torch.equal(a, pattern_tensor((64, 4100), seed=3, key=5))
    assert not torch.equal(a, pattern_tensor((64, 4100), seed=3, key=6))
    assert len({tuple(r[:8].tolist()) for r in a}) == 64
    assert abs(float(a.std()) - (2 / 4100) ** 0.5) < 0.2 * (2 / 4100) ** 0.5


def test_worker_and_judge_get_the_same_weights(tmp_path):
    student = _student(tmp_path)
    h = student.plain(_device="meta")
    written = student.probe("fill_parameters", module=h, seed=7, keys={"0.weight": 11}, device="cpu")
    assert written == 5 * 7 + 7 + 7 + 7 + 7 * 2 + 2
    sd = h.state_dict()
    assert all(v.device.type == "cpu" for v in sd.values())
    assert torch.equal(sd["0.weight"], pattern_tensor((7, 5), 7, 11))
    assert torch.equal(sd["2.weight"], pattern_tensor((2, 7), 7, 4))   # position 4 in named_parameters
    assert torch.equal(sd["1.running_var"], torch.ones(7))

    ref = nn.Sequential(nn.Linear(5, 7), nn.BatchNorm1d(7), nn.Linear(7, 2))
    fill_parameters(ref, seed=7, keys={"0.weight": 11}, device="cpu")   # buffers: ones, as in the worker
    X = torch.randn(3, 5)
    ref.eval()
    h.eval()
    with torch.no_grad():
        assert torch.equal(h(X), ref(X))


def test_lazy_module_after_a_forward(tmp_path):
    student = _student(tmp_path)
    h = student.net()
    h(torch.zeros(1, 3, 5, 5))
    student.probe("fill_parameters", module=h, seed=1)
    assert torch.equal(h.state_dict()["3.weight"], pattern_tensor((4, 72), 1, 2))


def test_in_place_fill_equals_the_pattern():
    lin = nn.Linear(3000, 50)   # 150,000 weights: the doubling copy path
    fill_parameters(lin, seed=2)
    assert torch.equal(lin.weight.detach(), pattern_tensor((50, 3000), 2, 0))
    assert torch.equal(lin.bias.detach(), pattern_tensor((50,), 2, 1))
