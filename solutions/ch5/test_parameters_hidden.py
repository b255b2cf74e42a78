"""Hidden checks for ch5.parameters.

Every function gets a network built by the engine (`specs.net`: named layers, with engine
subclasses of Linear and Conv2d, batch norm, a layer used twice and a tied weight where counting
is checked), and the checks read what the call did from the records: the state as built and
after the call, the requires_grad flags, the layer list, and, where `step` is given, the
parameters after one trusted SGD step taken after the call. Layer sizes come from `rng`. Random
initialisations are judged by their statistics (bounds of six standard errors), everything else
exactly or against the reference.
"""

from __future__ import annotations

import math

import torch

from grader.checks import specs, check, expect
from grader.checks.specs import BuildContext
from grader.checks.student import Handle

EXERCISE = "ch5.parameters"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "count_example": "count_parameters of the text's demo CNN is 80 + 1290 = 1370",
    "count_any": "count_parameters counts every parameter entry (convolutions, linear layers, batch norm), not buffers",
    "count_shared": "a parameter tensor is counted once however often it is shared (a layer used twice, a tied weight)",
    "count_trainable": "trainable_only=True counts only the parameters with requires_grad; False (the default) all",
    "init_example": "init_normal_(net) gives fc a weight of std 0.01 (the default std); init_constant_(net, 0.3) "
                    "fills the conv weight with 0.3",
    "normal_weights": "init_normal_(net, std) draws every Linear and Conv2d weight from N(0, std^2)",
    "normal_subclasses": "subclasses of nn.Linear and nn.Conv2d are initialised too",
    "normal_biases": "init_normal_ sets the biases to exactly 0 (when there is one)",
    "normal_others_alone": "init_normal_ leaves other modules (batch norm) as they were",
    "constant_layers": "init_constant_(net, value) gives the same layers, subclasses too, weights equal to value "
                       "and zero biases",
    "constant_others_alone": "init_constant_ leaves other modules (batch norm) as they were",
    "returns_net": "init_normal_, init_constant_, freeze_all_but and replace_head return net",
    "freeze_example": "freeze_all_but(net, \"fc\") on the demo CNN leaves only fc.weight and fc.bias trainable",
    "freeze_prefix": "only the parameters named name.* stay trainable (fc, not fc0), and no value changes",
    "freeze_step": "after freeze_all_but(net, \"fc\") an SGD step changes fc's parameters and nothing else",
    "freeze_nested": "freeze_all_but accepts a dotted path (features.3)",
    "freeze_unfreezes": "name's parameters end up trainable even if they were frozen before",
    "freeze_error": "freeze_all_but raises ValueError when name holds no parameter of net",
    "head_example": "replace_head on a resnet-like head Linear(512, 10) gives Linear(512, 7)",
    "head_layer": "the new head is nn.Linear(old.in_features, num_classes) at name; nothing else changes",
    "head_trainable": "the new head is trainable, also on a frozen network (an SGD step changes it only)",
    "head_nested": "replace_head accepts a dotted path (classifier.2)",
    "head_dtype_device": "the new head has the old layer's dtype and device",
    "head_error": "replace_head raises TypeError when the module at name is not an nn.Linear",
}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _uniform(rng: torch.Generator, low: float, high: float) -> float:
    return round(low + (high - low) * float(torch.rand(1, generator=rng)), 4)


def _cnn_layers(rng: torch.Generator, c_in: int = 1, size: int = 4, *, big: bool = False,
                head: str = "fc", classes: int | None = None) -> tuple[list, list[int]]:
    """features (conv, batch norm, ReLU, conv subclass, ReLU, pool) -> flatten -> fc0 (Linear
    subclass) -> ReLU -> head; returns the layers and an input shape for them."""
    c1 = _int(rng, 8, 10) if big else _int(rng, 2, 4)
    c2 = _int(rng, 8, 10) if big else _int(rng, 2, 4)
    hidden = _int(rng, 40, 56) if big else _int(rng, 5, 9)
    k = classes or _int(rng, 2, 6)
    flat = c2 * (size // 2) ** 2
    layers = [["features", "seq", [["0", "conv2d", c_in, c1, 3, 1], ["1", "batchnorm2d", c1], ["2", "relu"],
                                   ["3", "subconv2d", c1, c2, 3, 1], ["4", "relu"], ["5", "maxpool2d", 2]]],
              ["flatten", "flatten"], ["fc0", "sublinear", flat, hidden], ["relu", "relu"],
              [head, "linear", hidden, k]]
    return layers, [3, c_in, size, size]


def _shared_layers(rng: torch.Generator) -> list:
    """A hidden layer applied twice and a layer tied to its weight (own bias)."""
    a, h, k = _int(rng, 3, 7), _int(rng, 4, 8), _int(rng, 2, 5)
    return [["fc0", "linear", a, h], ["r0", "relu"], ["mid", "linear", h, h], ["r1", "relu"],
            ["mid_again", "shared", "mid"], ["tied", "tied", "mid"], ["bn", "batchnorm1d", h],
            ["fc", "linear", h, k]]


def _local(spec):
    """The same network, built here in the judge by the engine (to work out expected values)."""
    return BuildContext().make(spec)


def _records(student, fn: str, *args, **kwargs) -> dict:
    """The student's records of the built model labelled "net"."""
    _, got = student.call_recorded(fn, *args, **kwargs)
    return got["net"]


def _is_layer(module: dict) -> bool:
    return module["type"] in ("Linear", "TaggedLinear", "Conv2d", "TaggedConv2d")


def _layer_names(rec: dict, types: tuple[str, ...] = ("Linear", "TaggedLinear", "Conv2d", "TaggedConv2d")) -> list[str]:
    return [m["name"] for m in rec["modules"] if m["type"] in types]


# ---------------------------------------------------------------- count_parameters

def _expect_count(student, reference, spec, what: str, **kwargs) -> None:
    got = student.count_parameters(spec, **kwargs)
    expected = reference.count_parameters(_local(spec), **kwargs)
    expect.true(type(got) is int, f"{what}: count_parameters should return a Python int, got {type(got).__name__}")
    expect.equal(got, expected, what=what)


@check(points=2, clause="count_any")
def test_count_plain(student, reference, device, rng):
    """count_parameters counts every entry of convolutions, linear layers and batch norm (not its buffers)."""
    layers, _ = _cnn_layers(rng, c_in=_int(rng, 1, 3))
    _expect_count(student, reference, specs.net(layers, seed=_int(rng, 0, 999)),
                  "count_parameters of a small CNN with batch norm")


@check(points=2, clause="count_shared")
def test_count_shared(student, reference, device, rng):
    """A layer used twice and a tied weight are counted once each."""
    _expect_count(student, reference, specs.net(_shared_layers(rng), seed=_int(rng, 0, 999)),
                  "count_parameters of a network with a shared layer and a tied weight")


@check(points=2, clause="count_trainable")
def test_count_trainable_only(student, reference, device, rng):
    """trainable_only=True counts only parameters with requires_grad; False (the default) counts all."""
    layers, _ = _cnn_layers(rng)
    spec = specs.net(layers, seed=_int(rng, 0, 999), frozen=["features", "fc0.bias"])
    _expect_count(student, reference, spec, "count_parameters(net, trainable_only=True) with frozen features",
                  trainable_only=True)
    _expect_count(student, reference, spec, "count_parameters(net) with frozen features")


# ---------------------------------------------------------------- init_normal_

def _expect_normal(W: torch.Tensor, std: float, what: str) -> None:
    W = W.double()
    expect.finite(W, what)
    n = W.numel()
    got_std, got_mean = float(W.std()), float(W.mean())
    expect.true(abs(got_std / std - 1.0) < 6.0 / math.sqrt(2 * n),
                f"{what}: standard deviation {got_std:.4f}, expected {std:.4f}")
    expect.true(abs(got_mean) < 6.0 * std / math.sqrt(n), f"{what}: mean {got_mean:.4f}, expected 0")


def _normal_net(rng, device):
    """Big enough layers for tight bounds: 3 input channels, 8-10 channels, 10-20 classes."""
    layers, _ = _cnn_layers(rng, c_in=3, big=True, classes=_int(rng, 10, 20))
    return specs.net(layers, seed=_int(rng, 0, 999), device=str(device))


@check(points=3, clause="normal_weights")
def test_init_normal_weights(student, reference, device, rng):
    """init_normal_(net, std) draws the Linear and Conv2d weights from N(0, std^2)."""
    std = _uniform(rng, 0.02, 0.2)
    _, rec = student.call_recorded("init_normal_", _normal_net(rng, device), std, _seed=_int(rng, 0, 999))
    rec = rec["net"]
    for name in ("features.0", "fc"):
        _expect_normal(rec["final_state"][f"{name}.weight"], std, f"the weight of {name} after init_normal_(net, {std})")


@check(points=1, clause="normal_subclasses")
def test_init_normal_subclasses(student, reference, device, rng):
    """init_normal_ also initialises layers of subclasses of nn.Linear and nn.Conv2d."""
    std = _uniform(rng, 0.02, 0.2)
    _, rec = student.call_recorded("init_normal_", _normal_net(rng, device), std, _seed=_int(rng, 0, 999))
    rec = rec["net"]
    for name in ("features.3", "fc0"):
        kind = next(m["type"] for m in rec["modules"] if m["name"] == name)
        _expect_normal(rec["final_state"][f"{name}.weight"], std,
                       f"the weight of {name} (a {kind}, subclass of nn.{kind.removeprefix('Tagged')}) after init_normal_")


@check(points=2, clause="normal_biases")
def test_init_normal_biases(student, reference, device, rng):
    """init_normal_ sets every Linear / Conv2d bias to exactly 0 and copes with a layer without bias."""
    layers, _ = _cnn_layers(rng)
    hidden = layers[2][3]
    layers.insert(4, ["nobias", "linear", hidden, hidden, False])
    spec = specs.net(layers, seed=_int(rng, 0, 999), device=str(device))
    _, rec = student.call_recorded("init_normal_", spec, 0.05, _seed=_int(rng, 0, 999))
    rec = rec["net"]
    for name in _layer_names(rec):
        key = f"{name}.bias"
        if key in rec["final_state"]:
            expect.equal(rec["final_state"][key], torch.zeros_like(rec["built_state"][key]),
                         what=f"the bias of {name} after init_normal_")


@check(points=1, clause="normal_others_alone")
def test_init_normal_leaves_other_modules(student, reference, device, rng):
    """init_normal_ leaves batch norm's weight, bias and running statistics as they were."""
    _, rec = student.call_recorded("init_normal_", _normal_net(rng, device), 0.05, _seed=_int(rng, 0, 999))
    rec = rec["net"]
    for key in ("weight", "bias", "running_mean", "running_var"):
        expect.equal(rec["final_state"][f"features.1.{key}"], rec["built_state"][f"features.1.{key}"],
                     what=f"batch norm's {key} after init_normal_")


# ---------------------------------------------------------------- init_constant_

@check(points=2, clause="constant_layers")
def test_init_constant_layers(student, reference, device, rng):
    """init_constant_(net, value) gives every Linear / Conv2d weight (subclasses too) the value and a zero bias."""
    value = _uniform(rng, -0.5, 0.5)
    layers, _ = _cnn_layers(rng)
    spec = specs.net(layers, seed=_int(rng, 0, 999), device=str(device))
    ref = reference.init_constant_(_local(spec), value).state_dict()
    got = _records(student, "init_constant_", spec, value)
    for name in _layer_names(got):
        for key in (f"{name}.weight", f"{name}.bias"):
            expect.equal(got["final_state"][key], ref[key], what=f"{key} after init_constant_(net, {value})")


@check(points=1, clause="constant_others_alone")
def test_init_constant_leaves_other_modules(student, reference, device, rng):
    """init_constant_ leaves batch norm's parameters and buffers alone."""
    layers, _ = _cnn_layers(rng)
    spec = specs.net(layers, seed=_int(rng, 0, 999), device=str(device))
    _, rec = student.call_recorded("init_constant_", spec, _uniform(rng, 0.1, 0.5))
    rec = rec["net"]
    for key in ("weight", "bias", "running_mean", "running_var"):
        expect.equal(rec["final_state"][f"features.1.{key}"], rec["built_state"][f"features.1.{key}"],
                     what=f"batch norm's {key} after init_constant_")


# ---------------------------------------------------------------- every function returns net

@check(points=1, clause="returns_net")
def test_functions_return_net(student, reference, device, rng):
    """init_normal_, init_constant_, freeze_all_but and replace_head return the network they changed."""
    a, h = _int(rng, 2, 4), _int(rng, 2, 4)
    layers = [["fc0", "linear", a, h], ["relu", "relu"], ["fc", "linear", h, 2]]   # small: the value is the point
    for fn, args in (("init_normal_", (0.05,)), ("init_constant_", (0.25,)), ("freeze_all_but", ("fc",)),
                     ("replace_head", ("fc", 4))):
        value, rec = student.call_recorded(fn, specs.net(layers, seed=_int(rng, 0, 999)), *args)
        expect.true(isinstance(value, Handle), f"{fn}(net, ...) returned {type(value).__name__}: return net")
        expect.equal(value.state_dict(), rec["net"]["final_state"],
                     what=f"the state of the network {fn}(net, ...) returned (should be net itself)")


# ---------------------------------------------------------------- freeze_all_but

def _freeze(student, reference, spec, name: str) -> dict:
    """Student's records after freeze_all_but(net, name), its flags compared with the reference's."""
    got = _records(student, "freeze_all_but", spec, name)
    net = reference.freeze_all_but(_local(spec), name)
    expected = {n: bool(p.requires_grad) for n, p in net.named_parameters()}
    flags = got["requires_grad"]
    wrong = sorted(n for n, flag in flags.items() if flag != expected.get(n))
    expect.true(set(flags) == set(expected) and not wrong,
                f"freeze_all_but(net, {name!r}): wrong requires_grad for {wrong or 'the parameter list'}",
                f"got {flags}\nexpected {expected}")
    return got


@check(points=2, clause="freeze_prefix")
def test_freeze_flags(student, reference, device, rng):
    """freeze_all_but(net, "fc") leaves exactly fc's parameters trainable (not fc0's) and changes no value."""
    layers, _ = _cnn_layers(rng)
    spec = specs.net(layers, seed=_int(rng, 0, 999), device=str(device))
    got = _freeze(student, reference, spec, "fc")
    expect.equal(got["final_state"], got["built_state"], what='the values after freeze_all_but(net, "fc")')


@check(points=3, clause="freeze_step")
def test_freeze_then_sgd_step(student, reference, device, rng):
    """After freeze_all_but(net, "fc"), an SGD step changes fc's parameters and nothing else."""
    layers, shape = _cnn_layers(rng)
    spec = specs.net(layers, seed=_int(rng, 0, 999), device=str(device),
                     step={"input_shape": shape, "lr": 0.5, "seed": _int(rng, 0, 999)})
    _, rec = student.call_recorded("freeze_all_but", spec, "fc")
    rec = rec["net"]
    after = rec["after_step"]
    expect.true("error" not in after, f"an SGD step after freeze_all_but failed: {after.get('error')}")
    changed = sorted(n for n, t in after.items() if not torch.equal(t, rec["final_state"][n]))
    expect.true(changed == ["fc.bias", "fc.weight"],
                f'after freeze_all_but(net, "fc") one SGD step changed {changed}, expected only '
                "['fc.bias', 'fc.weight'] (is requires_grad spelled right?)")


@check(points=1, clause="freeze_nested")
def test_freeze_nested_name(student, reference, device, rng):
    """freeze_all_but accepts a dotted path such as "features.3"."""
    layers, _ = _cnn_layers(rng)
    _freeze(student, reference, specs.net(layers, seed=_int(rng, 0, 999)), "features.3")


@check(points=1, clause="freeze_unfreezes")
def test_freeze_makes_named_trainable(student, reference, device, rng):
    """freeze_all_but(net, name) makes name's parameters trainable even if they were frozen before."""
    layers, _ = _cnn_layers(rng)
    spec = specs.net(layers, seed=_int(rng, 0, 999), frozen=["fc", "features.0"])
    _freeze(student, reference, spec, "fc")


@check(points=1, clause="freeze_error")
def test_freeze_unknown_name(student, reference, device, rng):
    """freeze_all_but raises ValueError for a name without parameters ("relu", "nope", "f")."""
    layers, _ = _cnn_layers(rng)
    for name in ("relu", "nope", "f"):
        with expect.raises(ValueError, what=f"freeze_all_but(net, {name!r})"):
            student.freeze_all_but(specs.net(layers, seed=1), name)


# ---------------------------------------------------------------- replace_head

def _module(rec: dict, name: str) -> dict:
    found = [m for m in rec["modules"] if m["name"] == name]
    expect.true(len(found) == 1, f"the network has no module named {name!r} after the call")
    return found[0]


def _expect_head(rec: dict, name: str, in_features: int, classes: int, what: str) -> None:
    m = _module(rec, name)
    expect.true(m["type"] == "Linear" and m.get("in_features") == in_features and m.get("out_features") == classes,
                f"{what}: {name} is {m['type']}({m.get('in_features')}, {m.get('out_features')}), "
                f"expected Linear({in_features}, {classes})")
    expect.shape(rec["final_state"][f"{name}.weight"], (classes, in_features), f"{what}: {name}.weight")
    expect.finite(rec["final_state"][f"{name}.weight"], f"{what}: {name}.weight")


@check(points=2, clause="head_layer")
def test_replace_head_layer(student, reference, device, rng):
    """replace_head(net, "fc", k) puts a Linear(old in_features, k) at fc and leaves every other parameter as it was."""
    layers, _ = _cnn_layers(rng)
    hidden, old_classes = layers[-1][2], layers[-1][3]
    k = old_classes + _int(rng, 1, 5)
    spec = specs.net(layers, seed=_int(rng, 0, 999), device=str(device))
    _, rec = student.call_recorded("replace_head", spec, "fc", k, _seed=_int(rng, 0, 999))
    rec = rec["net"]
    _expect_head(rec, "fc", hidden, k, f'replace_head(net, "fc", {k})')
    others = {n: t for n, t in rec["built_state"].items() if not n.startswith("fc.")}
    expect.equal({n: rec["final_state"].get(n) for n in others}, others,
                 what=f'the other parameters after replace_head(net, "fc", {k})')


@check(points=2, clause="head_trainable")
def test_replace_head_trainable_after_freezing(student, reference, device, rng):
    """On a frozen network the new head is trainable: an SGD step then changes the head only."""
    layers, shape = _cnn_layers(rng)
    k = _int(rng, 2, 9)
    spec = specs.net(layers, seed=_int(rng, 0, 999), device=str(device), frozen=["features", "fc0", "fc"],
                     step={"input_shape": shape, "lr": 0.5, "seed": _int(rng, 0, 999)})
    _, rec = student.call_recorded("replace_head", spec, "fc", k, _seed=_int(rng, 0, 999))
    rec = rec["net"]
    flags = rec["requires_grad"]
    expect.true(flags.get("fc.weight") is True and flags.get("fc.bias") is True,
                f"the new head is not trainable (requires_grad {flags.get('fc.weight')}, {flags.get('fc.bias')})")
    after = rec["after_step"]
    expect.true("error" not in after, f"an SGD step after replace_head failed: {after.get('error')}")
    changed = sorted(n for n, t in after.items() if not torch.equal(t, rec["final_state"][n]))
    expect.true(changed == ["fc.bias", "fc.weight"],
                f"after replace_head on a frozen network an SGD step changed {changed}, expected only the new head")


@check(points=1, clause="head_nested")
def test_replace_head_nested(student, reference, device, rng):
    """replace_head accepts a dotted path such as "classifier.2"."""
    a, h, k = _int(rng, 3, 6), _int(rng, 4, 8), _int(rng, 2, 6)
    layers = [["classifier", "seq", [["0", "linear", a, h], ["1", "relu"], ["2", "linear", h, 2]]]]
    spec = specs.net(layers, seed=_int(rng, 0, 999), step={"input_shape": [2, a], "lr": 0.1, "seed": 5})
    _, rec = student.call_recorded("replace_head", spec, "classifier.2", k)
    rec = rec["net"]
    _expect_head(rec, "classifier.2", h, k, f'replace_head(net, "classifier.2", {k})')
    expect.true("error" not in rec["after_step"], "the network no longer runs after replace_head(net, "
                f'"classifier.2", {k}): {rec["after_step"].get("error")}')
    expect.shape(rec["after_step"]["classifier.2.bias"], (k,), "the new head after an SGD step")


@check(points=1, clause="head_dtype_device")
def test_replace_head_dtype_and_device(student, reference, device, rng):
    """The new head has the old layer's dtype (float64 here) and device (meta here)."""
    layers, _ = _cnn_layers(rng)
    k = _int(rng, 2, 9)
    spec = specs.net(layers, seed=_int(rng, 0, 999), dtype=torch.float64)
    _, rec = student.call_recorded("replace_head", spec, "fc", k)
    expect.dtype(rec["net"]["final_state"]["fc.weight"], torch.float64, "the new head of a float64 network")
    spec = specs.net(layers, seed=1, device="meta")
    _, rec = student.call_recorded("replace_head", spec, "fc", k)
    weight = rec["net"]["final_state"]["fc.weight"]
    expect.true(weight.device.type == "meta" and tuple(weight.shape) == (k, layers[-1][2]),
                f"the new head of a network on the meta device is on {weight.device} with shape "
                f"{tuple(weight.shape)}: create it on the old layer's device")


@check(points=1, clause="head_error")
def test_replace_head_not_linear(student, reference, device, rng):
    """replace_head raises TypeError when the module at name is not an nn.Linear (a ReLU, a Conv2d)."""
    layers, _ = _cnn_layers(rng)
    for name in ("relu", "features.0"):
        with expect.raises(TypeError, what=f"replace_head(net, {name!r}, 3)"):
            student.replace_head(specs.net(layers, seed=2), name, 3)
