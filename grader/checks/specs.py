"""Objects built from a spec next to the student code: models, loaders, losses, optimizers.

Training-loop checks cannot send a model across the boundary, so they send a spec. The worker
builds the object with this (trusted, engine) code right before calling the student; the judge
builds the very same object for the reference. Built objects record what the student did to
them (forward modes, optimizer steps...), and those records come back as plain data.

It stays one module although it is long: each spec function (what a check writes) and the
maker and recorder it names (what the worker builds) must agree field by field, and are read
and changed together; the whole module is sealed in the worker as one unit.
"""

from __future__ import annotations

from grader.checks.integrity import ENGINE_BUILTINS as __builtins__  # type: ignore[no-redef]  # noqa: F401 - see integrity

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grader.checks import integrity, nn_state
from grader.checks.codec import parse_dtype, plain_containers
from grader.checks.integrity import Sealed

# bound before any student code runs: rebinding torch.is_grad_enabled or a Tensor method, even for
# the length of one call, does not change what a recorder writes down
_grad_enabled = torch._C.is_grad_enabled
_detach, _clone = torch._C.TensorBase.detach, torch._C.TensorBase.clone
MODULE_ATTRS = ("in_features", "out_features", "in_channels", "out_channels", "kernel_size", "stride",
                "padding", "dilation", "groups", "p", "num_features", "output_size", "inplace",
                "ceil_mode", "start_dim", "end_dim", "eps", "momentum")


@dataclass(frozen=True)
class BuildSpec:
    kind: str
    label: str
    spec: dict = field(default_factory=dict)

    def __hash__(self) -> int:  # the label names the object, so specs can be dict keys or set members
        return hash((self.kind, self.label))

    def to_tree(self) -> dict:
        return {"__tg__": "build", "kind": self.kind, "label": self.label, "spec": dict(self.spec)}


@dataclass(frozen=True)
class Movable:
    """Stands for 'anything with .to(device)' in move_to checks; compares by device."""
    device: str = "cpu"

    def to(self, device: Any = None, *args: Any, **kwargs: Any) -> "Movable":
        return Movable(str(torch.device(device)) if device is not None else self.device)


@dataclass(frozen=True)
class Opaque:
    """An object without .to: move_to must hand it back unchanged."""
    tag: str = ""


# ---------------------------------------------------------------- specs (what checks write)

def mlp(sizes: list[int], *, dropout: float = 0.0, seed: int = 0, label: str = "net",
        device: str | None = None, training: bool = True) -> BuildSpec:
    """Flatten -> Linear -> ReLU [-> Dropout] ... -> Linear. training=False hands it over in
    eval mode (to see whether the student's loop switches modes itself)."""
    return BuildSpec("mlp", label, {"sizes": [int(s) for s in sizes], "dropout": float(dropout),
                                    "seed": int(seed), "device": device, "training": bool(training)})


def cnn(*, in_channels: int = 1, size: int = 8, classes: int = 3, channels: int = 4,
        dropout: float = 0.0, seed: int = 0, label: str = "net", device: str | None = None,
        training: bool = True) -> BuildSpec:
    """Conv3x3 -> ReLU -> MaxPool2 -> Flatten [-> Dropout] -> Linear: a tiny LeNet-like net."""
    return BuildSpec("cnn", label, {"in_channels": in_channels, "size": size, "classes": classes,
                                    "channels": channels, "dropout": float(dropout), "seed": seed,
                                    "device": device, "training": bool(training)})


def loader(*, n: int = 50, shape: tuple[int, ...] = (20,), classes: int = 3, batch_size: int = 16,
           seed: int = 0, label: str = "loader", device: str | None = None) -> BuildSpec:
    """A DataLoader over synthetic, learnable data (labels from a random linear teacher), no shuffle."""
    return BuildSpec("loader", label, {"n": n, "shape": [int(s) for s in shape], "classes": classes,
                                       "batch_size": batch_size, "seed": seed, "device": device})


def loss(name: str = "cross_entropy", *, reduction: str = "mean", label: str = "loss") -> BuildSpec:
    return BuildSpec("loss", label, {"name": name, "reduction": reduction})


def sgd(model_label: str = "net", *, lr: float = 0.1, momentum: float = 0.0,
        weight_decay: float = 0.0, label: str = "updater", record_state: bool = False,
        record_steps: bool = True) -> BuildSpec:
    """record_state=True: the records also hold "state_dict", the optimizer's state_dict() after the call.
    record_steps=False: the records hold "step_count" (an int) instead of the "steps" snapshots,
    which are costly to send back after long training runs."""
    spec = {"model": model_label, "lr": lr, "momentum": momentum, "weight_decay": weight_decay}
    if record_state:
        spec["record_state"] = True
    if not record_steps:
        spec["record_steps"] = False
    return BuildSpec("sgd", label, spec)


def function(name: str, *, label: str | None = None, **params: float) -> BuildSpec:
    """A plain Python callable on tensors, one of FUNCTIONS (e.g. "two_dot": x -> 2 * sum(x * x);
    "quadratic" with a=, c=: x -> a * (x - c) ** 2), for exercises whose functions take a function
    argument (gradients, minimisers). Records how often it was called."""
    if name not in FUNCTIONS:
        raise ValueError(f"unknown function {name!r}; known: {sorted(FUNCTIONS)}")
    return BuildSpec("function", label or f"function:{name}",
                     {"name": name, "params": {str(k): float(v) for k, v in params.items()}})


def leaf(values: Any, *, requires_grad: bool = True, grad: Any = None, label: str = "leaf",
         device: str | None = None) -> BuildSpec:
    """A leaf tensor made next to the student code, with requires_grad and optionally a .grad
    already set (plain data cannot carry either). Records what the call left of it: value,
    requires_grad and grad. Values travel as lists, so keep them small."""
    t = torch.as_tensor(values)
    g = None if grad is None else torch.as_tensor(grad).to(t.dtype).tolist()
    return BuildSpec("leaf", label, {"values": t.tolist(), "dtype": str(t.dtype).removeprefix("torch."),
                                     "requires_grad": bool(requires_grad), "grad": g, "device": device})


def generator(seed: int = 0, *, label: str = "generator") -> BuildSpec:
    """A CPU torch.Generator seeded with `seed`, for functions that take `generator=`."""
    return BuildSpec("generator", label, {"seed": int(seed)})


def params(values: list, grads: list | None = None, *, label: str = "params") -> BuildSpec:
    """A list of leaf tensors (clones of `values`) that require grad, with `.grad` set to clones
    of `grads` (None entries: no grad), for hand-written optimizers like sgd(params, lr, n)."""
    return BuildSpec("params", label, {"values": [_values(v) for v in values],
                                       "grads": [None if g is None else _values(g) for g in grads]
                                       if grads is not None else None})


def movable(*, device: str = "cpu", label: str = "movable") -> BuildSpec:
    return BuildSpec("movable", label, {"device": device})


def opaque(tag: str, *, label: str | None = None) -> BuildSpec:
    return BuildSpec("opaque", label or f"opaque:{tag}", {"tag": tag})


def _values(data: Any) -> dict:
    t = torch.as_tensor(data).detach().cpu()
    return {"values": t.tolist(), "shape": [int(d) for d in t.shape], "dtype": str(t.dtype).removeprefix("torch.")}


def tensor(data: Any, *, label: str, device: str | None = None) -> BuildSpec:
    """A fresh tensor with data's values and dtype, made next to the student code. Unlike a plain
    tensor argument it has a label: `derived` builds can alias it, and its records say whether
    the call returned this very object."""
    return BuildSpec("tensor", label, dict(_values(data), device=device))


def ndarray(data: Any, *, label: str) -> BuildSpec:
    """A fresh numpy array with data's values and dtype (data: a tensor or nested lists)."""
    return BuildSpec("ndarray", label, _values(data))


def derived(source: "str | BuildSpec", how: str, *, label: str, **params: Any) -> BuildSpec:
    """An object made from another build by a trusted operation `how` (one of DERIVATIONS:
    "numpy", "from_numpy", "torch_tensor", "np_array", "copy", "slice", "reshape", "transpose",
    "view_dtype"), e.g. derived("t", "numpy", label="a") is t.numpy(). `source` is the label of
    an earlier argument's build, or a spec itself (built first, under its own label, without
    being an argument: two slices of one tensor the call never sees whole)."""
    if how not in DERIVATIONS:
        raise ValueError(f"unknown derivation {how!r}; known: {sorted(DERIVATIONS)}")
    src = source.to_tree() if isinstance(source, BuildSpec) else str(source)
    return BuildSpec("derived", label, {"source": src, "how": how, "params": _listify(dict(params))})


def _listify(value: Any) -> Any:
    """Tuples inside a spec become lists: a spec travels as a bare tree."""
    if isinstance(value, (list, tuple)):
        return [_listify(v) for v in value]
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    return value
def layer(kind: str, *args: Any, seed: int = 0, label: str = "layer", device: str | None = None,
          training: bool = True, **kwargs: Any) -> BuildSpec:
    """One torch.nn layer of a known kind (LAYER_KINDS), e.g. layer("Conv2d", 1, 4, 3, padding=1),
    its parameters drawn from `seed`; records like a model."""
    return BuildSpec("layer", label, {"layers": [_layer_entry(kind, args, kwargs)], "seed": int(seed),
                                      "device": device, "training": bool(training)})


def sequential(*layers: Any, seed: int = 0, label: str = "net", device: str | None = None,
               training: bool = True) -> BuildSpec:
    """An nn.Sequential of known layers, each given as (kind, *args[, kwargs dict]), e.g.
    sequential(("Conv2d", 1, 4, 3, {"padding": 1}), ("BatchNorm2d", 4), ("ReLU",), ("Flatten",))."""
    entries = []
    for entry in layers:
        entry = tuple(entry)
        kwargs = entry[-1] if len(entry) > 1 and type(entry[-1]) is dict else {}
        positional = entry[1:-1] if kwargs else entry[1:]
        entries.append(_layer_entry(entry[0], positional, kwargs))
    return BuildSpec("sequential", label, {"layers": entries, "seed": int(seed), "device": device,
                                           "training": bool(training)})


def _layer_entry(kind: str, args: Any, kwargs: dict) -> list:
    if kind not in LAYER_KINDS:
        raise ValueError(f"unknown layer kind {kind!r}; known: {sorted(LAYER_KINDS)}")
    return [str(kind), list(args), dict(kwargs)]
def net(layers: list, *, seed: int = 0, label: str = "net", device: str | None = None,
        dtype: Any = None, frozen: list[str] | tuple[str, ...] = (), training: bool = True,
        step: dict | None = None) -> BuildSpec:
    """A model made of named layers, applied in order (an nn.Sequential with names), for checks
    on functions that inspect or change a network (count, initialise, freeze, replace layers).

    Each layer is [name, kind, *args]: "linear" (in, out[, bias]), "conv2d" (in, out, k[, padding]),
    "sublinear" / "subconv2d" (the same through engine subclasses of nn.Linear / nn.Conv2d),
    "batchnorm1d" / "batchnorm2d" (n), "relu", "flatten", "maxpool2d" (k), "dropout" (p),
    "seq" (a nested list of layers), "shared" (path): the very module at that path again,
    "tied" (path): a new Linear that reuses that Linear's weight Parameter (own bias).
    `frozen`: names whose parameters (the name itself or below it) start with requires_grad=False.
    `step`: {"input_shape": [...], "lr": float, "seed": int}: after the call, the engine runs one
    trusted SGD step (eval mode, loss = sum(output * fixed random weights)) over net.parameters()
    and records the parameters after it as "after_step"."""
    return BuildSpec("net", label, {"layers": _plain_layers(layers), "seed": int(seed), "device": device,
                                    "dtype": None if dtype is None else str(dtype).removeprefix("torch."),
                                    "frozen": [str(f) for f in frozen], "training": bool(training),
                                    "step": None if step is None else dict(step)})


def _plain_layers(layers: list) -> list:
    out = []
    for entry in layers:
        name, kind, *args = entry
        if kind == "seq":
            args = [_plain_layers(args[0])]
        out.append([str(name), str(kind), *args])
    return out


def strided(X: torch.Tensor, *, label: str = "strided") -> BuildSpec:
    """A tensor with exactly X's memory layout (sizes, strides, storage offset), rebuilt in the
    worker: the codec sends tensors contiguous, so a non-contiguous input (a permute, a slice, an
    expand) must travel this way to arrive non-contiguous. Works for the meta device too."""
    n = X.untyped_storage().nbytes() // X.element_size()
    spec = {"size": [int(d) for d in X.shape], "stride": [int(d) for d in X.stride()],
            "offset": int(X.storage_offset()), "dtype": str(X.dtype).removeprefix("torch."),
            "device": str(X.device), "length": int(n)}
    if X.device.type != "meta":
        spec["storage"] = X.detach().as_strided((n,), (1,), 0).to("cpu", copy=True)
    return BuildSpec("strided", label, spec)


# ---------------------------------------------------------------- making the objects

def _init_params(model: nn.Module, seed: int) -> None:
    # Own generator: building must not consume the global RNG the student's code will use.
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            fan_in = p.shape[1:].numel() if p.dim() > 1 else p.shape[0]
            bound = 1.0 / math.sqrt(max(1, fan_in))
            p.copy_((torch.rand(p.shape, generator=gen) * 2 - 1) * bound)


class ModelRecorder(metaclass=Sealed):
    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.cls = type(model)   # the class it was built as: a __class__ swap is tampering
        self.modes: list[bool | None] = []
        self.grad_enabled: list[bool] = []
        self.initial_state: dict | None = None
        self.device: str | None = None
        self._hook_fn = self._hook
        self._hook_handle = model.register_forward_pre_hook(self._hook_fn)

    def _hook(self, module: nn.Module, args: Any) -> None:
        if self.initial_state is None:
            self.initial_state = _state(module)
            self.device = _device_of(module, args)
        self.modes.append(nn_state.training(module))
        self.grad_enabled.append(_grad_enabled())

    def intact(self) -> bool:
        """The hook is still the one registered, the model still of the class it was built as,
        and the lists are still lists: a student who removed, replaced or swapped them has
        tampered with the record."""
        hooks = vars(self.model).get("_forward_pre_hooks")
        return (type(self.model) is self.cls and hooks is not None and hooks.get(self._hook_handle.id) is self._hook_fn
                and type(self.modes) is list and type(self.grad_enabled) is list)

    def _note_if_tampered(self) -> None:
        if not self.intact():
            integrity.ATTEMPTS.append("the recorder of a built model was removed or replaced")

    def records(self) -> dict:
        self._note_if_tampered()
        return {"initial_state": self.initial_state or _state(self.model), "final_state": _state(self.model),
                "modes": list(self.modes), "grad_enabled": list(self.grad_enabled), "forwards": len(self.modes),
                "final_training": nn_state.training(self.model), "device": self.device or _device_of(self.model, ())}


def _state(model: nn.Module) -> dict:
    # from the modules' own dicts, without state_dict hooks: the student's code may shadow or
    # hook state_dict, named_parameters or named_modules on any submodule
    params: dict[str, torch.Tensor] = dict(nn_state.named_parameters(model))
    params.update(nn_state.named_buffers(model))
    return {k: _clone(_detach(v)) for k, v in params.items()}


def _make_mlp(spec: dict) -> nn.Module:
    sizes = spec["sizes"]
    layers: list[nn.Module] = [nn.Flatten()]
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
            if spec["dropout"] > 0:
                layers.append(nn.Dropout(spec["dropout"]))
    return nn.Sequential(*layers)


def _make_cnn(spec: dict) -> nn.Module:
    c, size = spec["channels"], spec["size"]
    layers: list[nn.Module] = [nn.Conv2d(spec["in_channels"], c, 3, padding=1), nn.ReLU(),
                               nn.MaxPool2d(2), nn.Flatten()]
    if spec["dropout"] > 0:
        layers.append(nn.Dropout(spec["dropout"]))
    layers.append(nn.Linear(c * (size // 2) ** 2, spec["classes"]))
    return nn.Sequential(*layers)


class TaggedLinear(nn.Linear):
    """An nn.Linear subclass (code that looks for Linear layers must find it too)."""


class TaggedConv2d(nn.Conv2d):
    """An nn.Conv2d subclass."""


def _make_net_layers(layers: list, root: dict, prefix: str = "") -> nn.Sequential:
    from collections import OrderedDict
    made: "OrderedDict[str, nn.Module]" = OrderedDict()
    for name, kind, *args in layers:
        if kind == "linear":
            m: nn.Module = nn.Linear(*args)
        elif kind == "sublinear":
            m = TaggedLinear(*args)
        elif kind == "conv2d":
            m = nn.Conv2d(args[0], args[1], args[2], padding=args[3] if len(args) > 3 else 0)
        elif kind == "subconv2d":
            m = TaggedConv2d(args[0], args[1], args[2], padding=args[3] if len(args) > 3 else 0)
        elif kind == "batchnorm1d":
            m = nn.BatchNorm1d(*args)
        elif kind == "batchnorm2d":
            m = nn.BatchNorm2d(*args)
        elif kind == "relu":
            m = nn.ReLU()
        elif kind == "flatten":
            m = nn.Flatten()
        elif kind == "maxpool2d":
            m = nn.MaxPool2d(*args)
        elif kind == "dropout":
            m = nn.Dropout(*args)
        elif kind == "seq":
            m = _make_net_layers(args[0], root, f"{prefix}{name}.")
        elif kind == "shared":
            m = root[str(args[0])]
        elif kind == "tied":
            other = root[str(args[0])]
            m = nn.Linear(other.in_features, other.out_features)
            m.weight = other.weight
        else:
            raise ValueError(f"unknown layer kind {kind!r}")
        made[name] = m
        root.setdefault(f"{prefix}{name}", m)  # full dotted path, for later "shared" / "tied" entries
    return nn.Sequential(made)


def _make_net(spec: dict) -> nn.Module:
    model = _make_net_layers(spec["layers"], {})
    _init_params(model, spec["seed"])
    if spec.get("dtype"):
        model = model.to(parse_dtype(spec["dtype"]))
    for name, p in model.named_parameters():
        if any(name == f or name.startswith(f + ".") for f in spec.get("frozen") or ()):
            p.requires_grad_(False)
    model.train(spec.get("training", True))
    if spec.get("device"):
        model = model.to(spec["device"])
    return model


class NetRecorder(ModelRecorder):
    """ModelRecorder plus the state as built, requires_grad flags, the layers, an optional step."""

    def __init__(self, model: nn.Module, step: dict | None) -> None:
        super().__init__(model)
        self.built_state = _state(model)
        self.step = step

    def records(self) -> dict:
        rec = super().records()
        del rec["initial_state"]  # built_state is the state before the call; one state less to ship
        rec["built_state"] = self.built_state
        rec["requires_grad"] = {n: bool(p.requires_grad) for n, p in nn_state.named_parameters(self.model)}
        rec["modules"] = [describe_module(n, m) for n, m in nn_state.named_modules(self.model)]
        if self.step is not None:
            rec["after_step"] = self._step()
        return rec

    def _step(self) -> dict:
        """One SGD step as a training loop would take it; its errors are recorded, not raised."""
        model, step = self.model, self.step
        assert step is not None  # records() calls it only with a step
        was_training = nn_state.training(model) is not False
        try:
            first = next(nn_state.parameters(model))
            gen = torch.Generator().manual_seed(int(step.get("seed", 0)))
            X = torch.randn([int(d) for d in step["input_shape"]], generator=gen).to(first.dtype)
            opt = torch.optim.SGD(list(nn_state.parameters(model)), lr=float(step.get("lr", 0.1)))
            opt.zero_grad()
            model.eval()
            with torch.enable_grad():
                out = model(X.to(first.device))
                weights = torch.randn(out.shape, generator=gen).to(out.dtype).to(out.device)
                (out * weights).sum().backward()
            opt.step()
            return {n: _clone(_detach(p)) for n, p in nn_state.named_parameters(model)}
        except Exception as exc:  # noqa: BLE001 - the student's changes broke the model
            return {"error": f"{type(exc).__name__}: {exc}"[:500]}
        finally:
            model.train(was_training)


def _make_strided(spec: dict) -> torch.Tensor:
    device = str(spec["device"])
    if device.startswith("meta"):
        storage = torch.empty(int(spec["length"]), dtype=parse_dtype(spec["dtype"]), device="meta")
    else:
        storage = spec["storage"]
        if type(storage) is not torch.Tensor or storage.dim() != 1:
            raise ValueError("malformed strided build")
        storage = storage.clone()
        if device != "cpu" and (not device.startswith("cuda") or torch.cuda.is_available()):
            storage = storage.to(device)
    return storage.as_strided([int(d) for d in spec["size"]], [int(d) for d in spec["stride"]],
                              int(spec["offset"]))


class RecordingLoader(DataLoader, metaclass=Sealed):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.iterations = 0
        self.batches = 0

    def __iter__(self):
        self.iterations += 1
        for batch in super().__iter__():
            self.batches += 1
            yield batch

    def records(self) -> dict:
        return {"iterations": self.iterations, "batches": self.batches}


def _make_loader(spec: dict) -> RecordingLoader:
    gen = torch.Generator().manual_seed(spec["seed"])
    shape = tuple(spec["shape"])
    X = torch.randn((spec["n"], *shape), generator=gen)
    teacher = torch.randn((math.prod(shape), spec["classes"]), generator=gen)
    y = (X.reshape(spec["n"], -1) @ teacher).argmax(dim=1)
    if spec.get("device"):
        X, y = X.to(spec["device"]), y.to(spec["device"])
    # Its own generator: DataLoader.__iter__ draws a base seed from the one it is given, so with
    # the global generator an extra pass over a loader would shift every later dropout mask.
    return RecordingLoader(TensorDataset(X, y), batch_size=spec["batch_size"], shuffle=False,
                           generator=torch.Generator().manual_seed(spec["seed"]))


class RecordingCrossEntropy(nn.CrossEntropyLoss, metaclass=Sealed):
    def __init__(self, reduction: str) -> None:
        super().__init__(reduction=reduction)
        self.calls = 0

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:  # noqa: A002
        self.calls += 1
        return super().forward(input, target)

    def records(self) -> dict:
        return {"calls": self.calls, "reduction": self.reduction}


class RecordingSGD(torch.optim.SGD, metaclass=Sealed):
    def __init__(self, model: nn.Module, **kwargs: Any) -> None:
        super().__init__(model.parameters(), **kwargs)
        self._names = {id(p): n for n, p in model.named_parameters()}
        self.steps: list[dict] = []
        self.zero_grad_calls = 0
        self.record_state = False
        self.record_steps = True
        self.step_count = 0

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.zero_grad_calls += 1
        super().zero_grad(set_to_none=set_to_none)

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        result = super().step(closure)
        self.step_count += 1
        if not self.record_steps:
            return result
        self.steps.append({self._names[id(p)]: p.detach().clone()
                           for group in self.param_groups for p in group["params"]})
        return result

    def records(self) -> dict:
        rec = {"steps": self.steps, "zero_grad_calls": self.zero_grad_calls}
        if not self.record_steps:
            del rec["steps"]
            rec["step_count"] = self.step_count
        if self.record_state:
            rec["state_dict"] = plain_containers(self.state_dict())
        return rec


class RecordingGenerator(metaclass=Sealed):
    def __init__(self, seed: int) -> None:
        self.generator = torch.Generator().manual_seed(seed)
        self.initial = self.generator.get_state()

    def records(self) -> dict:
        return {"used": not torch.equal(self.initial, self.generator.get_state())}


class RecordingParams(metaclass=Sealed):
    def __init__(self, values: list, grads: list | None) -> None:
        self.tensors = []
        for i, v in enumerate(values):
            t = _from_values(v).requires_grad_(True)
            if grads is not None and grads[i] is not None:
                t.grad = _from_values(grads[i]).to(t.dtype)
            self.tensors.append(t)
        self.list = list(self.tensors)

    def records(self) -> dict:
        return {"values": [t.detach().clone() for t in self.tensors],
                "grads": [t.grad.detach().clone() if t.grad is not None else None for t in self.tensors],
                "requires_grad": [bool(t.requires_grad) for t in self.tensors],
                "is_leaf": [bool(t.is_leaf) for t in self.tensors]}


def _from_values(s: dict) -> torch.Tensor:
    """The tensor a `_values` tree describes."""
    return torch.tensor(s["values"], dtype=getattr(torch, str(s["dtype"]))).reshape(tuple(s["shape"]))


def prime() -> None:
    """Let torch patch what it patches on first use (an optimizer class's step, once), before
    the worker's seal is taken: afterwards any change is the student's."""
    model = nn.Linear(1, 1)
    RecordingSGD(model, lr=0.1)
    torch.optim.SGD(model.parameters(), lr=0.1)


def _numpy():
    import numpy as np
    return np


def _slice(obj: Any, index: list) -> Any:
    return obj[tuple(slice(*[None if v is None else int(v) for v in part]) for part in index)]


def _view_dtype(obj: Any, dtype: str) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.view(getattr(torch, dtype))
    return obj.view(_numpy().dtype(dtype))


# how -> fn(obj, params): the operations `derived` builds may apply (views share memory, copies do not)
DERIVATIONS: dict[str, Any] = {
    "numpy": lambda obj, p: obj.numpy(),                        # tensor -> ndarray on the same memory
    "from_numpy": lambda obj, p: torch.from_numpy(obj),         # ndarray -> tensor on the same memory
    "torch_tensor": lambda obj, p: torch.tensor(obj),           # ndarray -> tensor, a copy (keeps the dtype)
    "np_array": lambda obj, p: obj.detach().cpu().numpy().copy(),  # tensor -> ndarray, a copy
    "copy": lambda obj, p: obj.clone() if isinstance(obj, torch.Tensor) else obj.copy(),
    "slice": lambda obj, p: _slice(obj, p["index"]),            # index: [[start, stop, step], ...] per dim
    "reshape": lambda obj, p: obj.reshape(tuple(int(d) for d in p["shape"])),
    "transpose": lambda obj, p: obj.T,
    "view_dtype": lambda obj, p: _view_dtype(obj, str(p["dtype"])),
}


def _make_array(spec: BuildSpec, ctx: "BuildContext") -> Any:
    s = spec.spec
    if spec.kind == "derived":
        source = s["source"]
        if type(source) is dict:  # a nested spec: build it first, under its own label
            nested = decode_special("build", source)
            ctx.make(nested)
            source = nested.label
        if source not in ctx.objects:
            raise ValueError(f"derived build refers to label {source!r}, which no earlier argument built")
        how = str(s["how"])
        if how not in DERIVATIONS:
            raise ValueError(f"unknown derivation {how!r}")
        return DERIVATIONS[how](ctx.objects[source], s.get("params") or {})
    t = _from_values(s)
    if spec.kind == "ndarray":
        return t.numpy().copy()
    return t.to(s["device"]) if s.get("device") else t


class ArrayRecorder(metaclass=Sealed):
    """Records a built tensor or ndarray: its contents after the call, and whether the call
    returned this very object."""

    def __init__(self, obj: Any, ctx: "BuildContext") -> None:
        self.obj, self.ctx = obj, ctx

    def records(self) -> dict:
        obj = self.obj
        if isinstance(obj, torch.Tensor):
            value = obj.detach().clone()
        else:
            value = torch.from_numpy(_numpy().array(obj, copy=True, order="C"))
        return {"value": value, "is_result": self.ctx.result is obj}


_NO_RESULT = object()
def _control_flow(x: torch.Tensor) -> torch.Tensor:
    """Doubles 2x until its norm reaches 1000, then keeps it (positive sum) or scales it by 100:
    the result is k * x for a k that depends on x, so the gradient of its sum is k (elementwise)."""
    b = x * 2
    for _ in range(200):  # bounded: an all-zero input never reaches the norm
        if b.norm() >= 1000:
            break
        b = b * 2
    return b if b.sum() > 0 else 100 * b


# name -> factory(params) -> callable; every function works elementwise or reduces to a scalar,
# on any shape, dtype and device, and has a gradient the judge can write down.
FUNCTIONS: dict[str, Any] = {
    "two_dot": lambda p: (lambda x: 2 * (x * x).sum()),
    "square": lambda p: (lambda x: x * x),
    "cube": lambda p: (lambda x: x ** 3),
    "sin": lambda p: torch.sin,
    "exp": lambda p: torch.exp,
    "control_flow": lambda p: _control_flow,
    "quadratic": lambda p: (lambda x: p.get("a", 1.0) * (x - p.get("c", 0.0)) ** 2),
    "log_cosh": lambda p: (lambda x: torch.log(torch.cosh(x - p.get("c", 0.0)))),
}


class RecordingFunction(metaclass=Sealed):
    """A built function: calls the registered callable and counts the calls."""

    def __init__(self, name: str, params: dict) -> None:
        self.name = name
        self.fn = FUNCTIONS[name](dict(params))
        self.calls = 0

    def __call__(self, x: Any) -> Any:
        self.calls += 1
        return self.fn(x)

    def records(self) -> dict:
        return {"calls": self.calls, "name": self.name}


class LeafRecorder(metaclass=Sealed):
    def __init__(self, tensor: torch.Tensor) -> None:
        self.tensor = tensor

    def records(self) -> dict:
        t = self.tensor
        return {"value": t.detach().clone(), "requires_grad": bool(t.requires_grad),
                "grad": None if t.grad is None else t.grad.detach().clone()}


def _make_leaf(spec: dict) -> torch.Tensor:
    dtype = parse_dtype(spec["dtype"])
    t = torch.tensor(spec["values"], dtype=dtype)
    if spec.get("device"):
        t = t.to(spec["device"])
    if spec.get("requires_grad"):
        t.requires_grad_(True)
    if spec.get("grad") is not None:
        t.grad = torch.tensor(spec["grad"], dtype=dtype, device=t.device)
    return t
# The layers `layer` and `sequential` may build: plain torch.nn classes, constructed from plain data.
LAYER_KINDS = {name: getattr(nn, name) for name in (
    "Linear", "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "ReLU", "Sigmoid",
    "Tanh", "Flatten", "Dropout", "BatchNorm1d", "BatchNorm2d", "Identity")}


def _make_layers(spec: dict) -> nn.Module:
    layers = [LAYER_KINDS[kind](*args, **kwargs) for kind, args, kwargs in spec["layers"]]
    return nn.Sequential(*layers) if spec.get("sequential", True) else layers[0]


class LayerRecorder(ModelRecorder):
    """ModelRecorder for modules that may have no parameters (ReLU, Flatten...). For an
    nn.Sequential it also records the forward passes of its direct children, since code that
    walks `net.children()` (a per-layer shape report) never calls the container itself."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        self.child_modes: list[bool | None] = []
        self.child_grad_enabled: list[bool] = []
        self._child_hook_fn = self._child_hook
        children = list(nn.Module.children(model)) if isinstance(model, nn.Sequential) else []
        self._child_hooks = [(child, child.register_forward_pre_hook(self._child_hook_fn)) for child in children]

    def _child_hook(self, module: nn.Module, args: Any) -> None:
        self.child_modes.append(nn_state.training(module))
        self.child_grad_enabled.append(_grad_enabled())

    def intact(self) -> bool:
        return super().intact() and type(self.child_modes) is list and type(self.child_grad_enabled) is list and all(
            vars(child).get("_forward_pre_hooks", {}).get(handle.id) is self._child_hook_fn
            for child, handle in self._child_hooks)

    def records(self) -> dict:
        self._note_if_tampered()
        return {"initial_state": self.initial_state if self.initial_state is not None else _state(self.model),
                "final_state": _state(self.model), "modes": list(self.modes),
                "grad_enabled": list(self.grad_enabled),
                "forwards": len(self.modes), "final_training": nn_state.training(self.model),
                "device": self.device or _device_of(self.model, ()),
                "child_modes": list(self.child_modes), "child_grad_enabled": list(self.child_grad_enabled)}


def _device_of(module: nn.Module, args: Any) -> str:
    for _, t in itertools.chain(nn_state.named_parameters(module), nn_state.named_buffers(module)):
        return str(t.device)
    for a in args:
        if isinstance(a, torch.Tensor):
            return str(a.device)
    return "cpu"


class BuildContext(metaclass=Sealed):
    """The objects built for one call, by label, and what they recorded."""

    def __init__(self) -> None:
        self.objects: dict[str, Any] = {}
        self.recorders: dict[str, Any] = {}
        self.result: Any = _NO_RESULT  # what the call returned, once it has (for ArrayRecorder)

    def make(self, spec: BuildSpec) -> Any:
        if spec.label in self.objects:
            return self.objects[spec.label]
        s = spec.spec
        obj: Any
        rec: Any  # what records the object: a recorder, or the object itself (loader, loss, SGD)
        if spec.kind in ("mlp", "cnn"):
            model = _make_mlp(s) if spec.kind == "mlp" else _make_cnn(s)
            _init_params(model, s["seed"])
            model.train(s.get("training", True))
            if s.get("device"):
                model = model.to(s["device"])
            obj, rec = model, ModelRecorder(model)
        elif spec.kind in ("layer", "sequential"):
            model = _make_layers(dict(s, sequential=spec.kind == "sequential"))
            _init_params(model, s["seed"])
            model.train(s.get("training", True))
            if s.get("device"):
                model = model.to(s["device"])
            obj, rec = model, LayerRecorder(model)
        elif spec.kind == "loader":
            obj = rec = _make_loader(s)
        elif spec.kind == "loss":
            if s["name"] != "cross_entropy":
                raise ValueError(f"unknown loss {s['name']!r}")
            obj = rec = RecordingCrossEntropy(s["reduction"])
        elif spec.kind == "sgd":
            target = self.objects.get(s["model"])
            if not isinstance(target, nn.Module):
                raise ValueError(f"sgd build refers to model label {s['model']!r}, "
                                 "which no earlier argument built")
            obj = rec = RecordingSGD(target, lr=s["lr"], momentum=s["momentum"],
                                     weight_decay=s["weight_decay"])
            obj.record_state = bool(s.get("record_state", False))
            obj.record_steps = bool(s.get("record_steps", True))
        elif spec.kind == "function":
            if s.get("name") not in FUNCTIONS or type(s.get("params", {})) is not dict:
                raise ValueError(f"unknown function {s.get('name')!r}")
            obj = rec = RecordingFunction(str(s["name"]), s.get("params", {}))
        elif spec.kind == "leaf":
            obj = _make_leaf(s)
            rec = LeafRecorder(obj)
        elif spec.kind == "net":
            model = _make_net(s)
            obj, rec = model, NetRecorder(model, s.get("step"))
        elif spec.kind == "strided":
            obj, rec = _make_strided(s), None
        elif spec.kind == "generator":
            rec = RecordingGenerator(int(s["seed"]))
            obj = rec.generator
        elif spec.kind == "params":
            rec = RecordingParams(s["values"], s.get("grads"))
            obj = rec.list
        elif spec.kind == "movable":
            obj, rec = Movable(str(torch.device(s["device"]))), None
        elif spec.kind == "opaque":
            obj, rec = Opaque(s["tag"]), None
        elif spec.kind in ("tensor", "ndarray", "derived"):
            obj = _make_array(spec, self)
            rec = ArrayRecorder(obj, self)
        else:
            raise ValueError(f"unknown build kind {spec.kind!r}")
        self.objects[spec.label] = obj
        if rec is not None:
            self.recorders[spec.label] = rec
        return obj

    def materialize(self, value: Any) -> Any:
        """Replace every BuildSpec inside args/kwargs by the built object (in order)."""
        if isinstance(value, BuildSpec):
            return self.make(value)
        if type(value) is list:
            return [self.materialize(v) for v in value]
        if type(value) is tuple:
            return tuple(self.materialize(v) for v in value)
        if type(value) is dict:
            return {self.materialize(k): self.materialize(v) for k, v in value.items()}
        if type(value) in (set, frozenset):
            return type(value)(self.materialize(v) for v in value)
        return value

    def records(self) -> dict:
        return {label: rec.records() for label, rec in self.recorders.items()}


def encode_special(obj: Any) -> dict | None:
    """Codec hook: the engine's own probe objects travel as tags."""
    if type(obj) is Movable:
        return {"__tg__": "movable", "device": obj.device}
    if type(obj) is Opaque:
        return {"__tg__": "opaque", "tag": obj.tag}
    if type(obj) is BuildSpec:
        return obj.to_tree()
    return None


def describe_module(name: str, module: nn.Module) -> dict:
    """A module as a check sees it in records: its class, the torch.nn class it derives from
    (which a student's subclass cannot rename) and its plain hyperparameters."""
    torch_type = next((c.__name__ for c in type(module).__mro__ if getattr(nn, c.__name__, None) is c), "")
    entry: dict[str, Any] = {"name": name, "type": type(module).__name__, "torch_type": torch_type}
    for attr in MODULE_ATTRS:
        if attr in vars(module) or hasattr(type(module), attr) and not callable(getattr(module, attr, None)):
            value = getattr(module, attr, None)
            if type(value) in (int, float, bool, str, tuple, list, type(None)):
                entry[attr] = value
    if hasattr(module, "bias") and isinstance(getattr(module, "bias", None), (torch.Tensor, type(None))):
        entry["has_bias"] = getattr(module, "bias") is not None
    return entry


def decode_special(tag: str, tree: dict) -> Any:
    if tag == "movable":
        return Movable(str(tree["device"]))
    if tag == "opaque":
        return Opaque(str(tree["tag"]))
    if tag == "build":
        spec = tree["spec"]
        if type(spec) is not dict:
            raise ValueError("malformed build spec")
        return BuildSpec(str(tree["kind"]), str(tree["label"]), spec)
    raise KeyError(tag)
