"""Hidden checks for ch7.googlenet: layer hyper-parameters, and outputs and gradients compared with
the reference after both sides were given the same weights.

Weights move by name. For Inception the names p1_1 ... p4_2 are the contract (the exercise text
asks for them). For googlenet the text asks for nn.Sequential(b1, ..., b5, Linear) with stages
that are nn.Sequential, which gives names like "2.0.p1_1.weight". Containers may be named
differently (stages in an OrderedDict as b1 ... b5, say): every container child is matched by its
position in its parent, so "b3.0.p1_1.weight" meets "2.0.p1_1.weight". Failing that, weights go
by position when the parameters come in the same order with the same shapes. Only when neither
works does the numeric check fail, with a message saying what the names should be; the
structural checks (parameter count, parameter shapes, layer settings) never depend on names.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Iterator

import torch
from torch import nn

from grader.checks import CheckFailure, check, expect, probes

EXERCISE = "ch7.googlenet"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "inception_channels_example": "the first two Inception blocks of GoogLeNet turn 192 channels into 256 and 256 into 480",
    "inception_names": "Inception's submodules are named p1_1 ... p4_2, with the table's kernel sizes, paddings, "
                       "strides and channels",
    "inception_paths_example": "ReLU after every convolution and the four paths concatenated in the order 1, 2, 3, 4",
    "inception_pool_path_example": "path 4 is a 3x3 max-pool (stride 1, padding 1) followed by a 1x1 convolution",
    "stage_shapes_example": "googlenet() is nn.Sequential(b1, ..., b5, Linear) whose parts give the table's shapes",
    "sizes_example": "googlenet() has 5,977,530 parameters; googlenet(in_channels=3, num_classes=7), reading 3 "
                     "channels and giving 7 scores, has 5,980,727",
    "inception_any_shape": "Inception keeps height and width for any input (1x1, batch of one) and outputs "
                           "c1 + c2[1] + c3[1] + c4 float32 channels on the input's device",
    "inception_forward": "Inception with given weights computes the reference's output for any channel numbers",
    "inception_gradients": "gradients of Inception's weights and input are the reference's",
    "googlenet_layers": "googlenet()'s parameters and Conv2d/Linear layers are the reference's",
    "googlenet_forward": "googlenet() with given weights computes the reference's scores in eval mode",
}

INCEPTION_NAMES = ("p1_1", "p2_1", "p2_2", "p3_1", "p3_2", "p4_1", "p4_2")
LAYER_FIELDS = ("type", "in_channels", "out_channels", "kernel_size", "stride", "padding",
                "in_features", "out_features", "has_bias")
# A 60-layer network in float32 (TF32 convolutions on some GPUs): a correct student may reduce in
# another order (x.mean instead of AdaptiveAvgPool2d); the mistakes we look for change outputs of
# size 1 by far more than this.
NET_TOL = {"rtol": 1e-4, "atol": 1e-4}


# ---------------------------------------------------------------- helpers

def _inception_args(rng: torch.Generator) -> tuple[int, int, tuple[int, int], tuple[int, int], int]:
    """Random channel numbers, all different, so any mix-up of paths or channels shows."""
    values = (torch.randperm(14, generator=rng)[:7] + 2).tolist()
    in_channels, c1, c2a, c2b, c3a, c3b, c4 = values
    return in_channels, c1, (c2a, c2b), (c3a, c3b), c4


def _pair(value: Any) -> Any:
    if type(value) is int:
        return (value, value)
    if type(value) in (list, tuple):
        return tuple(value)
    return value


def _describe(name: str, module: nn.Module) -> dict:
    """The reference side of Handle.modules(), restricted to LAYER_FIELDS."""
    entry: dict[str, Any] = {"name": name, "type": type(module).__name__}
    for attr in LAYER_FIELDS[1:-1]:
        if hasattr(module, attr):
            entry[attr] = getattr(module, attr)
    if isinstance(getattr(module, "bias", None), (torch.Tensor, type(None))) and hasattr(module, "bias"):
        entry["has_bias"] = module.bias is not None
    return entry


def _layer(entry: dict) -> tuple:
    entry = dict(entry)
    padding, kernel = entry.get("padding"), _pair(entry.get("kernel_size"))
    # padding="same"/"valid" are spelled-out paddings for the stride-1 convolutions used here
    if padding == "same" and type(kernel) is tuple:
        entry["padding"] = tuple((k - 1) // 2 for k in kernel)
    elif padding == "valid":
        entry["padding"] = (0, 0)
    return tuple((k, _pair(entry[k])) for k in LAYER_FIELDS if k in entry)


def _scaled_state(module: nn.Module, rng: torch.Generator) -> dict[str, torch.Tensor]:
    """He-scaled random weights and non-trivial biases: activations keep size 1 through the whole
    network, so a wrong ReLU, pool or concatenation order changes the output visibly (the default
    initialisation shrinks GoogLeNet's output to a few hundredths)."""
    state = {}
    for name, value in module.state_dict().items():
        if value.dim() > 1:
            fan_in = value[0].numel()
            state[name] = torch.randn(value.shape, generator=rng) * math.sqrt(2.0 / fan_in)
        else:
            state[name] = torch.randn(value.shape, generator=rng) * 0.2
    return state


def _inception_key_map(h: Any, expected: dict[str, torch.Tensor], what: str) -> dict[str, str]:
    """{student parameter name: reference parameter name}. By name when the student used the
    names p1_1 ... p4_2; otherwise by position and shape (naming is test_inception_layers'
    business alone, so a renamed but correct block still gets its weights)."""
    got = h.state_dict()
    expect.true(type(got) is dict, f"{what}.state_dict() did not give a dict of tensors")
    if sorted(got) == sorted(expected) and all(tuple(got[k].shape) == tuple(v.shape) for k, v in expected.items()):
        return {k: k for k in expected}
    by_position = _student_state_for(got, [e.get("name", "") for e in h.modules()], expected)
    ids = {id(v): k for k, v in expected.items()}
    expect.true(by_position is not None,
                f"{what}'s parameters could not be matched with the reference's, by name (p1_1, p2_1, "
                "p2_2, p3_1, p3_2, p4_2, weight and bias each) or by position and shape: check the "
                "layers' channels and kernel sizes")
    return {k: ids[id(v)] for k, v in by_position.items()}


BY_POSITION_NOTE = (" (your submodules are not named p1_1 ... p4_2, so the reference's weights were "
                    "given to yours by position and shape)")


@contextlib.contextmanager
def _noting(by_name: bool, note: str = BY_POSITION_NOTE) -> Iterator[None]:
    """Failures say when the weights did not go by name, so a student looks at the right place."""
    try:
        yield
    except CheckFailure as failure:
        if by_name:
            raise
        raise CheckFailure(failure.summary + note, failure.detail) from None


def _new_inception(student: Any, args: tuple) -> Any:
    """The student's Inception(*args), lazy layers (nn.LazyConv2d) materialised by the engine."""
    return student.Inception(*args, _input_shape=(1, args[0], 4, 4))


def _inception_pair(student: Any, reference: Any, rng: torch.Generator, device: torch.device,
                    args: tuple) -> tuple[Any, nn.Module, dict[str, str]]:
    """Student and reference Inception blocks holding the same random weights, both on device,
    and the student's parameter names mapped to the reference's."""
    ref = reference.Inception(*args)
    state = _scaled_state(ref, rng)
    ref.load_state_dict(state)
    h = _new_inception(student, args)
    key_map = _inception_key_map(h, state, f"Inception{args}")
    h.load_state_dict({k: state[v] for k, v in key_map.items()})
    h.to(device)
    return h, ref.to(device), key_map


def _mixed_input(rng: torch.Generator, *shape: int) -> torch.Tensor:
    """Inputs of both signs with a spread, so ReLUs and max-pooling both matter."""
    return torch.randn(*shape, generator=rng) * 1.5 + 0.2


def _conv_linear_layers(entries: list[dict]) -> list[tuple]:
    return sorted(_layer(e) for e in entries if e.get("type") in ("Conv2d", "Linear"))


def _canonical_modules(names: list[str]) -> dict[str, str]:
    """Module name -> the name it would have in the reference's layout: every child is named by
    its position in its parent (as nn.Sequential does), except Inception's p1_1 ... p4_2, which
    keep their names. "b3.0.p1_1" (stages in an OrderedDict) becomes "2.0.p1_1"."""
    canon: dict[str, str] = {"": ""}
    counters: dict[str, int] = {}
    for name in names:
        if not name:
            continue
        parent, _, local = name.rpartition(".")
        index = counters.get(parent, 0)
        counters[parent] = index + 1
        if parent not in canon:  # a module reachable only through a skipped duplicate
            return {}
        label = local if local in INCEPTION_NAMES else str(index)
        canon[name] = f"{canon[parent]}.{label}" if canon[parent] else label
    return canon


def _student_state_for(student_state: dict, module_names: list[str], ref_state: dict) -> dict | None:
    """ref_state under the student's names: by name (up to renamed containers), else by position
    when the parameters come in the same order with the same shapes; None when neither works."""
    canon = _canonical_modules(module_names)
    renamed = {}
    for key in student_state:
        owner, _, leaf = key.rpartition(".")
        if owner not in canon:
            break
        renamed[key] = f"{canon[owner]}.{leaf}" if canon[owner] else leaf
    if len(renamed) == len(student_state) and sorted(renamed.values()) == sorted(ref_state):
        return {key: ref_state[ref_key] for key, ref_key in renamed.items()}
    if len(student_state) != len(ref_state):
        return None
    pairs = list(zip(student_state.items(), ref_state.items()))
    if any(tuple(sv.shape) != tuple(rv.shape) for (_, sv), (_, rv) in pairs):
        return None
    return {sk: rv for (sk, _), (_, rv) in pairs}


# ---------------------------------------------------------------- Inception

@check(points=1, clause="inception_any_shape")
def test_inception_output_shape(student, device, rng):
    """Inception keeps height and width (non-square, 1x1, batch of one) and outputs c1 + c2[1] + c3[1] + c4 channels."""
    for n, height, width in ((1, 5, 8), (2, 1, 1)):
        args = _inception_args(rng)
        in_channels, c1, c2, c3, c4 = args
        h = _new_inception(student, args)
        h.to(device)
        X = _mixed_input(rng, n, in_channels, height, width).to(device)
        Y = expect.tensor(h(X), what=f"Inception{args} output")
        expect.shape(Y, (n, c1 + c2[1] + c3[1] + c4, height, width), what=f"Inception{args} output")
        expect.dtype(Y, torch.float32, what=f"Inception{args} output")
        expect.true(Y.device.type == device.type, f"Inception{args} output is on {Y.device}, not {device}")
        expect.finite(Y, what=f"Inception{args} output")


@check(points=3, clause="inception_forward")
def test_inception_matches_reference(student, reference, device, rng):
    """Inception with the reference's weights computes the reference's output (path order, ReLUs, max-pool)."""
    args = _inception_args(rng)
    h, ref, key_map = _inception_pair(student, reference, rng, device, args)
    for n, height, width in ((2, 6, 9), (1, 4, 4)):
        X = _mixed_input(rng, n, args[0], height, width).to(device)
        with torch.no_grad():
            expected = ref(X)
        with _noting(all(k == v for k, v in key_map.items())):
            expect.close(h(X), expected, what=f"Inception{args} output on a {n}x{args[0]}x{height}x{width} input")


@check(points=2, clause="inception_gradients")
def test_inception_gradients(student, reference, device, rng):
    """Gradients of Inception's weights and input match the reference's for the same weights."""
    args = _inception_args(rng)
    h, ref, key_map = _inception_pair(student, reference, rng, device, args)
    in_channels, c1, c2, c3, c4 = args
    X = _mixed_input(rng, 2, in_channels, 5, 7).to(device)
    G = torch.randn(2, c1 + c2[1] + c3[1] + c4, 5, 7, generator=rng).to(device)
    got = h.backward(X, grad_output=G)

    Xr = X.clone().requires_grad_(True)
    ref.zero_grad(set_to_none=True)
    ref(Xr).backward(G)
    expected_grads = {name: p.grad for name, p in ref.named_parameters()}
    grads = {key_map.get(k, k): g for k, g in got["grads"].items()}
    with _noting(all(k == v for k, v in key_map.items())):
        expect.close(got["output"], ref(X).detach(), what=f"Inception{args} output")
        for name, grad in expected_grads.items():
            expect.true(grads.get(name) is not None, f"Inception{args}: no gradient reached {name}")
            expect.close(grads[name], grad, what=f"gradient of Inception{args}.{name}")
        expect.close(got["input_grads"][0], Xr.grad, what=f"gradient of Inception{args}'s input")


# ---------------------------------------------------------------- GoogLeNet
#
# googlenet() has six million parameters: built for real it costs ~40 ms of one thread on each
# side and its weights ~24 MB on the wire. So the networks here are built with _device="meta"
# (shapes, no storage); the structural checks read them as they are, and the one numeric check
# materialises both networks with the fill_parameters probe (the same He-scaled pattern weights
# on both sides, matched by name) and compares one forward pass on a small 24x40 input, where
# the last stage still sees 1x2 maps (so a global max-pool differs from the average).

_REF_META: dict[tuple, Any] = {}


def _reference_meta(reference, *args: Any) -> dict:
    """Facts about the reference network, built on 'meta' once per argument tuple (they do not
    depend on the student); "net" is that network, which the numeric check materialises."""
    key = (id(reference),) + args
    if key not in _REF_META:
        with torch.device("meta"):
            net = reference.googlenet(*args)
        state = {k: v for k, v in net.state_dict().items()}
        _REF_META[key] = {
            "net": net,
            "shapes": sorted(tuple(v.shape) for v in state.values()),
            "state": state,
        }
    facts = _REF_META[key]
    if "layers" not in facts and not args:
        facts["layers"] = _conv_linear_layers([_describe(n, m) for n, m in facts["net"].named_modules()])
    return facts


def _reference_scores(facts: dict, seed: int, X: torch.Tensor) -> torch.Tensor:
    """The reference's scores for X with the pattern weights of `seed`. The check's rng is seeded
    the same for every student, so one judge computes them once, not once per student."""
    scores = facts.setdefault("scores", {})
    key = (seed, str(X.device), X.cpu().numpy().tobytes())
    if key not in scores:
        ref = facts["net"]
        probes.fill_parameters(ref, seed=seed, keys={k: i for i, k in enumerate(facts["state"])},
                               device=str(X.device))
        ref.eval()
        with torch.no_grad():
            scores[key] = ref(X)
    return scores[key]


def _meta_net(student, *args: Any):
    in_channels = args[0] if args else 1
    # lazy layers (nn.LazyConv2d, nn.LazyLinear) get their shapes from one meta forward pass
    return student.googlenet(*args, _device="meta", _input_shape=(1, in_channels, 32, 64))


@check(points=3, clause="googlenet_layers")
def test_googlenet_structure(student, reference):
    """googlenet() has the reference's parameter shapes, and its Conv2d/Linear layers the reference's settings."""
    h = _meta_net(student)
    ref = _reference_meta(reference)
    got = sorted(tuple(v.shape) for v in h.state_dict().values())
    expected = ref["shapes"]
    expect.true(got == expected, "googlenet()'s parameter shapes differ from the reference's "
                "(check the channel numbers of the stages)",
                detail=f"only in yours: {sorted(set(got) - set(expected))[:8]}\n"
                       f"only in the reference: {sorted(set(expected) - set(got))[:8]}")
    got = _conv_linear_layers(h.modules())
    expected = ref["layers"]
    expect.true(got == expected, "googlenet()'s Conv2d/Linear layers differ from the reference's "
                "(count, channels, kernel size, stride or padding)",
                detail=f"only in yours: {[x for x in got if x not in expected][:4]}\n"
                       f"only in the reference: {[x for x in expected if x not in got][:4]}")


@check(points=4, clause="googlenet_forward")
def test_googlenet_matches_reference(student, reference, device, rng):
    """googlenet() with the reference's weights computes the reference's finite (N, 10) float32 scores in eval mode."""
    facts = _reference_meta(reference)
    ref_state = facts["state"]
    index = {id(v): i for i, v in enumerate(ref_state.values())}
    h = _meta_net(student)
    mine = h.state_dict()
    if sorted(mine) == sorted(ref_state) and all(tuple(mine[k].shape) == tuple(ref_state[k].shape) for k in mine):
        state = {k: ref_state[k] for k in mine}           # the reference's names: no need for modules()
    else:
        state = _student_state_for(mine, [e.get("name", "") for e in h.modules()], ref_state)
    expect.true(state is not None,
                "googlenet()'s parameters could not be matched with the reference's: return "
                "nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(1024, num_classes)) with every stage an "
                "nn.Sequential, so the names read like '2.0.p1_1.weight'")
    expect.true(all(tuple(mine[k].shape) == tuple(v.shape) for k, v in state.items()),
                "googlenet()'s parameters have the reference's names but not its shapes "
                "(check the channel numbers of the stages)")
    seed = int(torch.randint(0, 10**6, (1,), generator=rng))
    student.probe("fill_parameters", module=h, seed=seed, device=str(device),
                  keys={k: index[id(v)] for k, v in state.items()})
    h.eval()
    # 24x40: the last stage still sees 1x2 maps, so a global max-pool differs from the average
    X = torch.rand(2, 1, 24, 40, generator=rng).to(device) * 2 - 0.5
    expected = _reference_scores(facts, seed, X)
    Y = expect.tensor(h(X), what="googlenet() output for two 24x40 images")
    expect.shape(Y, (2, 10), what="googlenet() output for two 24x40 images")
    expect.true(Y.device.type == device.type, f"googlenet() output is on {Y.device}, not {device}")
    with _noting(all(k in ref_state for k in state),
                 " (your network's parameters are not named like the reference's, so its weights were "
                 "given to yours by position and shape)"):
        expect.close(Y, expected, what="googlenet() scores for two 24x40 images", **NET_TOL)
