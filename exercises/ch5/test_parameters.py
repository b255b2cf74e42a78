"""Visible checks for ch5.parameters: run them with `pytest exercises/ch5/test_parameters.py`.

The networks are built by the course's engine (`specs.net`): named layers in order, like an
nn.Sequential with names. What your function did to a network comes back in its records.
"""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch5.parameters"

# The network of the text's demo: features (conv 1 -> 8, ReLU, pool), flatten, fc = Linear(128, 10).
CNN = [["features", "seq", [["0", "conv2d", 1, 8, 3, 1], ["1", "relu"], ["2", "maxpool2d", 2]]],
       ["flatten", "flatten"], ["fc", "linear", 8 * 4 * 4, 10]]


@check(points=2, clause="count_example")
def test_count_the_demo_network(student, device, rng):
    """The demo CNN has 80 + 1290 = 1370 parameters."""
    expect.equal(student.count_parameters(specs.net(CNN)), 1370, what="count_parameters of the demo CNN")


@check(points=2, clause="init_example")
def test_init_normal_and_constant(student, device, rng):
    """init_normal_(net) gives fc a weight with std about 0.01; init_constant_(net, 0.3) fills the conv weight with 0.3."""
    _, rec = student.call_recorded("init_normal_", specs.net(CNN, seed=1), _seed=0)
    state = rec["net"]["final_state"]
    std, mean = float(state["fc.weight"].std()), float(state["fc.weight"].mean())
    expect.true(0.009 < std < 0.011 and abs(mean) < 0.002,
                f"after init_normal_(net) fc.weight has mean {mean:.4f} and std {std:.4f}, expected 0 and 0.01")
    _, rec = student.call_recorded("init_constant_", specs.net(CNN, seed=1), 0.3)
    state = rec["net"]["final_state"]
    expect.equal(state["features.0.weight"], torch.full((8, 1, 3, 3), 0.3), what="the conv weight after init_constant_(net, 0.3)")


@check(points=2, clause="freeze_example")
def test_freeze_all_but_fc(student, device, rng):
    """freeze_all_but(net, "fc") leaves only fc.weight and fc.bias trainable."""
    _, rec = student.call_recorded("freeze_all_but", specs.net(CNN), "fc")
    expected = {"features.0.weight": False, "features.0.bias": False, "fc.weight": True, "fc.bias": True}
    expect.true(rec["net"]["requires_grad"] == expected, "wrong requires_grad flags after freeze_all_but(net, 'fc')",
                f"got {rec['net']['requires_grad']}\nexpected {expected}")


@check(points=2, clause="head_example")
def test_replace_resnet_like_head(student, device, rng):
    """A head Linear(512, 10) is replaced by a Linear(512, 7)."""
    layers = [["body", "linear", 8, 512], ["relu", "relu"], ["fc", "linear", 512, 10]]
    _, rec = student.call_recorded("replace_head", specs.net(layers), "fc", 7)
    rec = rec["net"]
    head = [m for m in rec["modules"] if m["name"] == "fc"]
    expect.true(len(head) == 1 and head[0]["type"] == "Linear" and head[0].get("in_features") == 512
                and head[0].get("out_features") == 7, f"fc should be Linear(512, 7) after replace_head, got {head}")
