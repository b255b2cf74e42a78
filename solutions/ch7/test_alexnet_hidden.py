"""Hidden checks for ch7.alexnet: the layout, layer by layer, against the reference.

AlexNet has 46.8 M parameters; building it for real costs about 0.2 s of one CPU thread, and a
forward pass on a 224x224 image another 40 ms, on each side. So every network here is built
with `_device="meta"`: the worker runs alexnet() under `torch.device("meta")`, parameters get
shapes but no storage, and forward passes on meta inputs give every stage's output shape for
free. The reference is built the same way in the judge (once per argument tuple). Comparing the layers one by one (type,
channels, kernel sizes, strides, paddings, dropout probabilities, in order) and the shape after
every stage (the visible checks) pin down the function of a flat nn.Sequential of standard layers completely, so no
check pays for a numeric forward pass. A network with lazy layers (nn.LazyLinear) gets one forward
pass before anything else is read, so that they have their shapes.
"""

from __future__ import annotations

from typing import Any

import torch

from grader.checks import check, expect
from grader.checks.specs import describe_module

EXERCISE = "ch7.alexnet"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "stage_shapes": "the first convolution gives [1, 96, 54, 54] and the layers follow the table's shapes down to "
                    "6400 and 10, each layer directly inside the nn.Sequential",
    "parameter_count": "alexnet() has 46,764,746 trainable parameters",
    "dropout": "two nn.Dropout(0.5) layers",
    "in_channels_classes": "the first convolution reads in_channels channels and the last Linear gives num_classes scores",
    "convolutional_part": "the convolutions, ReLUs and max-pools come in the table's order with its channels, kernels, "
                          "strides and paddings",
    "classifier_part": "the classifier is Linear(6400, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU, Dropout, "
                       "Linear(4096, num_classes): sizes, ReLUs and where the dropouts sit",
}

FIELDS = ("type", "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
          "groups", "has_bias", "in_features", "out_features", "p", "ceil_mode")
# Reshaping modules are the student's choice (nn.Flatten, a custom Reshape ...): the stage shapes
# check what they do.
RESHAPES = ("Flatten", "Reshape", "View", "Lambda")
PAIRED = ("kernel_size", "stride", "padding", "dilation")


def _norm(entry: dict) -> tuple:
    out = []
    for key in FIELDS:
        if key not in entry:
            continue
        value = entry[key]
        if key == "padding" and value in ("same", "valid"):   # spelled-out paddings (stride 1)
            kernel = entry.get("kernel_size")
            kernel = (kernel, kernel) if type(kernel) is int else tuple(kernel or (1, 1))
            value = tuple((k - 1) // 2 for k in kernel) if value == "same" else (0, 0)
        if key in PAIRED and type(value) is int:
            value = (value, value)
        elif key in PAIRED and type(value) in (list, tuple):
            value = tuple(value)
        if key == "stride" and value is None:   # MaxPool2d(k) strides by k
            value = _norm({"kernel_size": entry.get("kernel_size")})[0][1]
        if key == "p":
            value = round(float(value), 6)
        out.append((key, value))
    return tuple(out)


def _leaves(entries: list[dict]) -> list[tuple]:
    """Layers with no children, in order, reshaping modules left out."""
    names = [e["name"] for e in entries]
    leaves = []
    for e in entries:
        prefix = e["name"] + "." if e["name"] else ""
        has_children = any(n != e["name"] and n.startswith(prefix) for n in names) if prefix else len(names) > 1
        if not has_children and e["type"] not in RESHAPES:
            leaves.append(_norm(e))
    return leaves


_REFERENCE: dict[tuple, Any] = {}


def _reference(reference, *args: Any):
    """The reference network on 'meta' (built once per argument tuple: it does not depend on the student)."""
    key = (id(reference),) + args
    if key not in _REFERENCE:
        with torch.device("meta"):
            net = reference.alexnet(*args)
        net(torch.empty(1, args[0] if args else 1, 224, 224, device="meta"))
        leaves = _leaves([describe_module(n, m) for n, m in net.named_modules()])
        _REFERENCE[key] = (net, leaves)
    return _REFERENCE[key]


def _reference_leaves(reference, *args: Any) -> list[tuple]:
    return _reference(reference, *args)[1]


def _student(student, *args: Any, forward: bool = False):
    """The student's network built on 'meta' and its modules(); lazy layers (or forward=True) get
    one forward pass on a meta image first, and its output is returned too."""
    h = student.alexnet(*args, _device="meta")
    entries = h.modules()
    out = None
    if forward or any(e["type"].startswith("Lazy") for e in entries):
        in_channels = args[0] if args else 1
        out = expect.tensor(h(torch.empty(1, in_channels, 224, 224, device="meta")),
                            what=f"alexnet{args or '()'} output")
        entries = h.modules()
    return h, entries, out


def _split(leaves: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """(convolutional part, classifier part): everything before the first Linear, and the rest."""
    first_linear = next((i for i, e in enumerate(leaves) if dict(e)["type"] in ("Linear", "LazyLinear")),
                        len(leaves))
    return leaves[:first_linear], leaves[first_linear:]


def _without_p(entry: tuple) -> tuple:
    return tuple(item for item in entry if item[0] != "p")


def _show(layers: list[tuple]) -> str:
    return "\n".join(f"  {dict(e)['type']}: " + ", ".join(f"{k}={v}" for k, v in e if k != "type")
                     for e in layers)


@check(points=3, clause="convolutional_part")
def test_convolutional_part(student, reference):
    """The convolutions, ReLUs and max-pools come in S0's order with its channels, kernels, strides and paddings."""
    _, entries, _ = _student(student)
    got, _ = _split(_leaves(entries))
    expected, _ = _split(_reference_leaves(reference))
    expect.true(got == expected, "alexnet()'s layers before the first Linear differ from the table "
                "(order, channels, kernel size, stride or padding of a Conv2d / MaxPool2d, or a ReLU)",
                detail=f"yours:\n{_show(got)}\nexpected:\n{_show(expected)}")


@check(points=2, clause="classifier_part")
def test_classifier_part(student, reference):
    """The classifier is Linear(6400, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU, Dropout, Linear(4096, 10)."""
    _, entries, _ = _student(student)
    # where the dropouts sit is this check's business, their probability the visible dropout check's
    _, got = _split([_without_p(e) for e in _leaves(entries)])
    _, expected = _split([_without_p(e) for e in _reference_leaves(reference)])
    expect.true(got == expected, "alexnet()'s layers from the first Linear on differ from the table "
                "(sizes, ReLUs, dropout placement, or an extra layer)",
                detail=f"yours:\n{_show(got)}\nexpected:\n{_show(expected)}")
