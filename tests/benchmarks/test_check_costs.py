"""benchmarks/check_costs.py splits a perfect submission's check time into student, reference and
judge compute (no timing is asserted here: targets live in the benchmark's output)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module():
    spec = importlib.util.spec_from_file_location("check_costs", ROOT / "benchmarks" / "check_costs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_parts_add_up_and_the_reference_passes():
    costs = _module()
    cost = costs.measure(costs.load_course(ROOT), "ch3.softmax", repeats=0)
    assert cost.passed and cost.checks > 5
    assert cost.student > 0 and cost.reference > 0
    assert cost.student + cost.reference + cost.judge >= cost.total * 0.999


def test_a_timed_reference_keeps_classes_usable():
    costs = _module()
    import types

    import torch
    module = types.ModuleType("ref")
    exec("import torch\nclass Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
         "        self.lin = torch.nn.Linear(2, 1)\n    def forward(self, x):\n        return self.lin(x)\n"
         "def f(x):\n    return x + 1\n", module.__dict__)
    module.Net.__module__ = module.f.__module__ = "ref"
    clock = costs.Clock()
    proxy = costs.timed_reference(module, clock)
    net = proxy.Net()
    assert isinstance(net, module.Net) and list(net.state_dict()) == ["lin.weight", "lin.bias"]
    assert net(torch.ones(1, 2)).shape == (1, 1) and proxy.f(1) == 2
    assert clock.seconds > 0
