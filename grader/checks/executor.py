"""The part of the engine that runs next to the student's code (in the worker, or in-process
under plain pytest). It imports the student's module, answers requests, and turns every result
into plain data. It never sees a check, a reference solution or an expected value.

Request (plain data):  {"op": "call", "name": ..., "args": [...], "kwargs": {...}, "seed": int|None,
                         "forbid": [...], "record": bool[, "no_grad": True][, "device": str]}
("device", optional: the call runs under `with torch.device(device)`, e.g. "meta" to build a large
network without allocating or initialising its parameters.)
Reply:                 {"ok": True, "value": tree[, "records": tree]}  or
                       {"ok": False, "error": {"kind": ..., "message": ..., ...}}

It stays one module although it is long: it is all that runs beside student code, in the
worker and under plain pytest alike, so what that code can reach is reviewed in one file.
"""

from __future__ import annotations

from grader.checks.integrity import ENGINE_BUILTINS as __builtins__  # type: ignore[no-redef]  # noqa: F401 - see integrity

import contextlib
import importlib.util
import itertools
import linecache
import operator
import os
import random
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

from grader.checks import codec, integrity, lazy, nn_state, opcount, specs
from grader.checks import forbid as forbids
from grader.checks.forbid import ForbiddenSignal, Guard, clear_modes, install_mode_switch_guards
from grader.checks.probes import PROBES
from grader.checks.specs import describe_module
from grader.checks.student_errors import NO_D2L, NotPlainData


# Most items one `items` request hands back (a runaway iterator must not fill the memory).
MAX_ITEMS = 100_000

# What the codec carries itself; anything else is an "object" that new_object hands out as a handle.
_NATIVE = (type(None), bool, int, float, str, bytes, list, tuple, set, frozenset, dict,
           torch.dtype, torch.device, torch.Size)


class _Fault(Exception):
    """A student-caused failure, already described as a reply error."""

    def __init__(self, error: dict) -> None:
        super().__init__(error.get("message", ""))
        self.error = error


def import_file(path: Path, module_name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, str(path))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


# torch.nn.init's in-place initialisers: on a "meta" tensor they compute nothing, yet built-in
# layers call them from reset_parameters, which is half of the time it takes to build a big
# network on "meta" (GoogLeNet: 10 ms of 20). During a call made with _device="meta" they return
# a meta tensor untouched; any other tensor is initialised as usual.
_INITIALISERS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
                 "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                 "orthogonal_", "sparse_")


@contextlib.contextmanager
def _initialisers_skip_meta() -> Any:
    saved = {name: getattr(nn.init, name) for name in _INITIALISERS if hasattr(nn.init, name)}

    def skipping(init: Any) -> Any:
        def initialise(tensor: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(tensor, torch.Tensor) and tensor.is_meta:
                return tensor
            return init(tensor, *args, **kwargs)
        return initialise
    for name, init in saved.items():
        setattr(nn.init, name, skipping(init))
    try:
        yield
    finally:
        for name, init in saved.items():
            setattr(nn.init, name, init)


# What resets and seeds the state before a call, bound before any student code runs.
_set_default_dtype, _set_grad_enabled = torch.set_default_dtype, torch._C._set_grad_enabled
_set_default_device, _set_detect_anomaly = torch.set_default_device, torch.autograd.set_detect_anomaly
_manual_seed, _random_seed = torch.manual_seed, random.seed


def reset_torch_state() -> None:
    """Undo global changes a previous call may have made (default dtype, grad mode, ...)."""
    _set_default_dtype(torch.float32)
    _set_grad_enabled(True)
    try:
        _set_default_device(None)
    except Exception:  # noqa: BLE001 - older torch has no default device to reset
        pass
    _set_detect_anomaly(False)


def seed_everything(seed: int) -> None:
    _manual_seed(seed)
    _random_seed(seed)
    try:
        import numpy as np
        np.random.seed(seed % (2**32))
    except Exception:  # noqa: BLE001 - numpy is optional for seeding
        pass


def seal_engine() -> None:
    """Install the guard's wrappers, let torch finish its first-use patching, then freeze and
    snapshot the engine (grader.checks.integrity). The zygote calls it once before it forks, so
    a worker inherits the seal rather than taking it (~16 ms each); in a worker it is a no-op."""
    if integrity.sealed():
        return
    install_mode_switch_guards()
    specs.prime()
    forbids.record_trusted_code()   # torch's code objects as they are now: what workers trust
    integrity.seal()


class Executor(metaclass=integrity.Sealed):
    # no instance dict: an attribute set on the instance cannot shadow a (sealed) method
    __slots__ = ("module", "source", "load_error", "forbid", "handles", "object_handles", "_next", "tampered",
                 "_sealed", "_answered", "_strict")

    def __init__(self, module: ModuleType | None, *, source: Path | None = None,
                 load_error: dict | None = None, forbid: dict[str, tuple[str, ...]] | None = None) -> None:
        self.module = module
        self.source = Path(source).resolve() if source else None
        self.load_error = load_error
        self.forbid = {k: tuple(v) for k, v in (forbid or {}).items()}
        install_mode_switch_guards()  # before the student's module is imported and can keep originals
        self.handles: dict[int, tuple[Any, str]] = {}  # id -> (object, symbol it came from)
        self.object_handles: set[int] = set()  # handles made by new_object: their results may be objects too
        self._next = 1
        self.tampered: list[str] = []   # what the student's code changed of the engine (sticky)
        self._sealed = False
        self._answered = False
        self._strict = any(bool(v) for v in self.forbid.values())  # no TorchScript/compile then
        forbids.set_strict(self, self._strict)

    @classmethod
    def from_file(cls, path: Path, module_name: str,
                  forbid: dict[str, Any] | None = None, *, seal: bool = False) -> "Executor":
        """seal=True (a sandbox worker, where a judge is told what the student's code changed):
        the engine is frozen and verified from here on. Student code run on the student's own
        machine (pytest, check()) has nothing to protect, so it is not sealed there."""
        path = Path(path)
        exe = cls(None, source=path, forbid=forbid)
        if seal:
            seal_engine()
            exe._sealed = True
        if not path.is_file():
            exe.load_error = {"kind": "load", "message": f"file {path.name} not found"}
            return exe
        try:
            exe.module = import_file(path, module_name)
        except SystemExit as exc:
            exe.load_error = {"kind": "load", "message": f"the module called exit({exc.code!r}) while "
                              "being imported; remove top-level code that exits"}
        except MemoryError:
            exe.load_error = {"kind": "oom", "message": "ran out of memory while importing the module"}
        except SyntaxError as exc:
            exe.load_error = {"kind": "load", "message": f"syntax error in {path.name} line {exc.lineno}: "
                              f"{exc.msg}", "detail": exe._student_traceback(exc)}
        except ModuleNotFoundError as exc:
            if str(exc.name or "").split(".")[0] != "d2l":
                exe.load_error = {"kind": "load", "message": f"importing {path.name} failed: "
                                  f"{type(exc).__name__}: {exc}"[:2000], "detail": exe._student_traceback(exc)}
            else:  # second-edition code pasted in: one line that says what to do
                exe.load_error = {"kind": "load", "message": NO_D2L}
        except BaseException as exc:  # noqa: BLE001 - anything at import time is the student's fault
            exe.load_error = {"kind": "load", "message": f"importing {path.name} failed: "
                              f"{type(exc).__name__}: {exc}"[:2000], "detail": exe._student_traceback(exc)}
        return exe

    # ------------------------------------------------------------------ requests

    def handle(self, request: Any) -> dict:
        """Answer one request; the engine's seal is verified before and after it, and once the
        student's code has changed the engine every reply says so (`tampering`)."""
        clear_modes()   # the torch modes exactly the engine's: none left by the student's code
        # before the first request: what the import changed (later, the previous check covers it)
        if (self.tampered or not self._answered) and self._check_seal():
            return self._tampering_reply()
        self._answered = True
        forbids.set_strict(self, self._strict)  # another executor in this process may have answered
        reply = self._answer(request)
        if self._check_seal(after=True):
            return self._tampering_reply()
        return reply

    def _check_seal(self, after: bool = False) -> bool:
        if not self.tampered:
            self.tampered = integrity.changes()
            if self._sealed and not integrity.sealed():
                self.tampered.append("the seal itself was removed")
            if after and self._strict and not forbids.strict_for(self):
                self.tampered.append("the ban on TorchScript and torch.compile was switched off")
        return bool(self.tampered)

    def _tampering_reply(self) -> dict:
        shown = "; ".join(self.tampered[:5]) + (f" (+{len(self.tampered) - 5} more)" if len(self.tampered) > 5 else "")
        return {"ok": False, "error": {"kind": "tampering", "message": "your code changed the grader's own code "
                                       f"({shown}); the exercise scores 0 and the instructor is told",
                                       "detail": "\n".join(self.tampered[:50])}}

    def _answer(self, request: Any) -> dict:
        try:
            if type(request) is not dict or "op" not in request:
                return _error("exception", "malformed request")
            op = request["op"]
            method = getattr(self, f"_op_{op}", None)
            if method is None:
                return _error("exception", f"unknown request {op!r}")
            return method(request)
        except _Fault as fault:
            return {"ok": False, "error": fault.error}
        except NotPlainData as exc:
            return _error("not_plain", str(exc))
        except MemoryError:
            return _error("oom", "ran out of memory")

    def _op_verify(self, req: dict) -> dict:
        """The judge asks this last, so a change made after the last call is seen too."""
        return {"ok": True, "value": None}

    def _op_info(self, req: dict) -> dict:
        return {"ok": True, "value": self._encode(PROBES["device_info"]())}

    def _op_has(self, req: dict) -> dict:
        if self.module is None:
            return {"ok": True, "value": False}
        return {"ok": True, "value": hasattr(self.module, str(req["name"]))}

    def _op_call(self, req: dict) -> dict:
        name = str(req["name"])
        target = self._symbol(name)
        ctx = specs.BuildContext()
        args, kwargs = self._decode_args(req, ctx)
        counter = opcount.OpCounter(req["count_ops"]) if req.get("count_ops") else None
        value = self._run(target, args, kwargs, symbol=name, seed=req.get("seed"),
                          extra_forbid=req.get("forbid") or (), no_grad=bool(req.get("no_grad")),
                          device=req.get("device"), counter=counter)
        if req.get("input_shape") is not None and isinstance(value, nn.Module):
            # a lazy network gets its shapes now, before the check reads its parameters
            self._run(lazy.materialize, (value, req["input_shape"]), {}, symbol=name,
                      extra_forbid=req.get("forbid") or (), device=req.get("device"))
        ctx.result = value
        reply = {"ok": True, "value": self._encode(value, symbol=name, objects=bool(req.get("objects")))}
        if req.get("record"):
            reply["records"] = self._records(ctx, args, ops=counter.counts if counter is not None else None)
        return reply

    def _op_instance(self, req: dict) -> dict:
        """Like call, but whatever comes back stays here as a handle (objects of the student's
        classes that are not nn.Modules, e.g. an early-stopping helper)."""
        name = str(req["name"])
        target = self._symbol(name)
        args, kwargs = self._decode_args(req, specs.BuildContext())
        value = self._run(target, args, kwargs, symbol=name, seed=req.get("seed"),
                          extra_forbid=req.get("forbid") or ())
        return {"ok": True, "value": self._keep(value, name)}

    def _op_make(self, req: dict) -> dict:
        """Build a model from a spec and keep it here as a handle, for checks that need one object
        across several calls."""
        spec = self._decode(req.get("spec"), specs.BuildContext())
        if not isinstance(spec, nn.Module):
            return _error("exception", "make builds models only")
        return {"ok": True, "value": self._keep(spec, "")}

    def _keep(self, obj: Any, symbol: str) -> dict:
        hid = self._next
        self._next += 1
        self.handles[hid] = (obj, symbol)
        return {"__tg__": "handle", "id": hid, "type": type(obj).__name__}

    def _records(self, ctx: specs.BuildContext, args: list, ops: dict | None = None) -> Any:
        """What the builds recorded, plus the arguments as they are after the call (a function
        that modifies its input in place shows up here); arguments that are not plain data
        (built models, loaders) appear as None."""
        records = ctx.records()
        records["args_after"] = [_plain_or_none(a) for a in args]
        if ops is not None:  # the call asked for _count_ops: {op: {dtype: count}}
            records["ops"] = ops
        return self._encode(records, what="records")

    def _op_probe(self, req: dict) -> dict:
        name = str(req["name"])
        if name not in PROBES:
            return _error("exception", f"unknown probe {name!r}")
        spec = self._decode(req.get("spec", {}), specs.BuildContext())
        reset_torch_state()
        return {"ok": True, "value": self._encode(PROBES[name](**spec))}

    def _op_release(self, req: dict) -> dict:
        self.handles.pop(int(req["id"]), None)
        return {"ok": True, "value": None}

    def _op_handle(self, req: dict) -> dict:
        hid = int(req["id"])
        if hid not in self.handles:
            return _error("exception", f"object #{hid} no longer exists")
        obj, symbol = self.handles[hid]
        method = str(req["method"])
        ctx = specs.BuildContext()
        args, kwargs = self._decode_args(req, ctx)
        seed = req.get("seed")
        extra = req.get("forbid") or ()
        device = req.get("device")
        if method in ("forward", "__call__"):
            value = self._run(obj, args, kwargs, symbol=symbol, seed=seed, extra_forbid=extra,
                              no_grad=bool(req.get("no_grad")), device=device)
        elif method == "backward":
            value = self._backward(obj, args, kwargs, symbol, seed, extra)
        elif method == "state_dict":
            value = {k: v for k, v in nn.Module.state_dict(obj).items()}
        elif method == "load_state_dict":
            value = self._run(obj.load_state_dict, args, kwargs, symbol=symbol, seed=seed)
            value = {"missing": list(value.missing_keys), "unexpected": list(value.unexpected_keys)}
        elif method == "train":
            self._run(obj.train, args, kwargs, symbol=symbol, seed=seed)
            value = None
        elif method == "eval":
            self._run(obj.eval, (), {}, symbol=symbol, seed=seed)
            value = None
        elif method == "training":
            value = nn_state.training(obj)
        elif method == "num_params":
            value = int(sum(p.numel() for p in nn_state.parameters(obj) if p.requires_grad))
        elif method == "modules":
            value = [describe_module(n, m) for n, m in nn_state.named_modules(obj)]
        elif method == "child":
            child = obj.get_submodule(str(args[0])) if args else obj
            value = child
        elif method == "to":
            self._run(obj.to, args, kwargs, symbol=symbol, seed=seed)
            value = None
        elif method == "type_names":
            value = [f"{c.__module__}.{c.__qualname__}" for c in type(obj).__mro__]
        elif method == "attr_as_dict":
            value = getattr(obj, str(args[0]))
            if isinstance(value, Mapping):  # an OrderedDict (copy.deepcopy of a state_dict) reads as a plain dict
                value = {k: v for k, v in value.items()}
        elif method == "attr":
            value = getattr(obj, str(args[0]))
        elif method == "call_method":
            fn = getattr(obj, str(args[0]))
            value = self._run(fn, args[1:], kwargs, symbol=symbol, seed=seed, extra_forbid=extra,
                              device=device)
        elif method == "items":
            # Iterate the object once, next to the student's code (a DataLoader: one epoch; a
            # generator: drained), and hand back the items; at most `limit` of them.
            limit = int(kwargs.pop("limit", MAX_ITEMS))

            def take() -> list:
                items = list(itertools.islice(iter(obj), limit + 1))
                if len(items) > limit:
                    raise RuntimeError(f"iterating the object gave more than {limit} items")
                return items
            value = self._run(take, (), {}, symbol=symbol, seed=seed, extra_forbid=extra)
        elif method == "len":
            value = self._run(len, (obj,), {}, symbol=symbol, seed=seed, extra_forbid=extra)
        elif method == "getitem":
            value = self._run(operator.getitem, (obj, args[0]), {}, symbol=symbol, seed=seed,
                              extra_forbid=extra)
        else:
            return _error("exception", f"unknown handle method {method!r}")
        ctx.result = value
        reply = {"ok": True, "value": self._encode(value, symbol=symbol, objects=hid in self.object_handles)}
        if req.get("record"):
            reply["records"] = self._records(ctx, args)
        return reply

    # ------------------------------------------------------------------ helpers

    def _symbol(self, name: str) -> Any:
        if self.load_error is not None:
            raise _Fault(self.load_error)
        if name.startswith("_") or not name.isidentifier():
            raise _Fault({"kind": "missing", "message": f"{name!r} is not a public name"})
        try:
            return getattr(self.module, name)
        except AttributeError:
            raise _Fault({"kind": "missing", "message": f"{name} is not defined in your file; "
                          f"define it with exactly that name"}) from None
        except BaseException as exc:  # noqa: BLE001 - a module __getattr__ that misbehaves
            raise _Fault(self._describe(exc, name)) from None

    def _decode(self, tree: Any, ctx: specs.BuildContext) -> Any:
        def on_tag(tag: str, node: dict) -> Any:
            if tag == "handle":
                hid = int(node["id"])
                if hid not in self.handles:
                    raise NotPlainData(f"object #{hid} no longer exists")
                return self.handles[hid][0]
            return specs.decode_special(tag, node)
        return ctx.materialize(codec.from_plain(tree, on_tag=on_tag))

    def _decode_args(self, req: dict, ctx: specs.BuildContext) -> tuple[list, dict]:
        args = self._decode(req.get("args", []), ctx)
        kwargs = self._decode(req.get("kwargs", {"__tg__": "dict", "v": []}), ctx)
        if type(args) is not list or type(kwargs) is not dict:
            raise NotPlainData("malformed call arguments")
        return args, kwargs

    def _encode(self, value: Any, *, symbol: str = "", what: str = "", objects: bool = False) -> Any:
        def on_module(module: nn.Module) -> dict:
            hid = self._next
            self._next += 1
            self.handles[hid] = (module, symbol)
            return {"__tg__": "handle", "id": hid, "type": type(module).__name__}

        def on_special(obj: Any) -> dict | None:
            special = specs.encode_special(obj)
            if special is None and objects and _is_object(obj):
                special = on_module(obj)
                self.object_handles.add(special["id"])
            return special
        label = what or (f"the value returned by {symbol}" if symbol else "the value")
        clear_modes()   # a mode the student's code pushed since (a property, a forward in records) must not see the encoder
        try:
            return codec.to_plain(value, label, on_module=on_module, on_special=on_special)
        except NotPlainData as exc:
            raise _Fault({"kind": "not_plain", "message": str(exc)}) from None

    def _run(self, fn: Any, args: Any, kwargs: dict, *, symbol: str, seed: Any = None,
             extra_forbid: Any = (), no_grad: bool = False, device: Any = None,
             counter: "opcount.OpCounter | None" = None) -> Any:
        reset_torch_state()
        if seed is not None:
            seed_everything(int(seed))
        if no_grad:  # the check asked for the call to run as under torch.no_grad()
            _set_grad_enabled(False)
        names = tuple(self.forbid.get(symbol, ())) + tuple(str(n) for n in extra_forbid)
        try:
            default_device = torch.device(str(device)) if device is not None else None
        except (RuntimeError, ValueError, TypeError):
            raise _Fault({"kind": "exception", "exc_type": "ValueError", "exc_types": ["ValueError"],
                          "message": f"the check asked for an unknown device {device!r}"}) from None
        guard = Guard(names)
        try:
            with guard, (counter if counter is not None else contextlib.nullcontext()):
                if default_device is None:
                    result = fn(*args, **kwargs)
                else:
                    with default_device, (_initialisers_skip_meta() if default_device.type == "meta"
                                          else contextlib.nullcontext()):
                        result = fn(*args, **kwargs)
        except ForbiddenSignal as sig:
            raise _Fault(_forbidden(sig, symbol)) from None
        except SystemExit as exc:
            raise _Fault({"kind": "exception", "exc_type": "SystemExit", "exc_types": ["SystemExit"],
                          "message": f"{symbol} called exit({exc.code!r}); return a value instead"}) from None
        except MemoryError:
            raise _Fault({"kind": "oom", "message": f"{symbol} ran out of memory"}) from None
        except RuntimeError as exc:
            if _is_allocation_failure(exc):
                raise _Fault({"kind": "oom", "message": f"{symbol} ran out of memory: {str(exc)[:200]}"}) from None
            if guard.violation is not None:
                raise _Fault(_forbidden(guard.violation, symbol)) from None
            raise _Fault(self._describe(exc, symbol)) from None
        except BaseException as exc:  # noqa: BLE001
            if guard.violation is not None:  # the student caught our signal and raised something else
                raise _Fault(_forbidden(guard.violation, symbol)) from None
            raise _Fault(self._describe(exc, symbol)) from None
        if guard.violation is not None:  # caught and swallowed by the student's code
            raise _Fault(_forbidden(guard.violation, symbol))
        return result

    def _backward(self, module: Any, args: list, kwargs: dict, symbol: str, seed: Any,
                  extra_forbid: Any = ()) -> dict:
        grad_output = kwargs.pop("grad_output", None)
        inputs = [a.detach().clone().requires_grad_(True) if isinstance(a, torch.Tensor)
                  and a.is_floating_point() else a for a in args]
        for p in nn_state.parameters(module):
            p.grad = None

        def forward_backward() -> Any:
            out = module(*inputs, **kwargs)
            if not isinstance(out, torch.Tensor):
                raise TypeError(f"forward returned {type(out).__name__}, expected a tensor")
            if grad_output is None:
                out.sum().backward()
            else:
                out.backward(grad_output)
            return out
        out = self._run(forward_backward, (), {}, symbol=symbol, seed=seed, extra_forbid=extra_forbid)
        return {"output": out.detach(),
                "grads": {n: (p.grad.detach() if p.grad is not None else None)
                          for n, p in nn_state.named_parameters(module)},
                "input_grads": [(a.grad.detach() if isinstance(a, torch.Tensor) and a.grad is not None
                                 else None) for a in inputs]}

    def _describe(self, exc: BaseException, symbol: str) -> dict:
        types = [c.__name__ for c in type(exc).__mro__ if c not in (object, BaseException)]
        name = type(exc).__name__
        text = str(exc)
        if isinstance(exc, NotImplementedError):
            message = f"{symbol} is not implemented yet" + (f": {text}" if text else "")
        else:
            message = f"{symbol} raised {name}" + (f": {text}" if text else "")
        return {"kind": "exception", "exc_type": name, "exc_types": types, "message": message[:2000],
                "detail": self._student_traceback(exc)}

    def _student_traceback(self, exc: BaseException) -> str:
        """The last frames of the student's own file only: no engine or torch internals."""
        frames = traceback.extract_tb(exc.__traceback__)
        own = [f for f in frames if self.source and _same_file(f.filename, self.source)]
        if isinstance(exc, SyntaxError) and exc.lineno:
            line = exc.text or linecache.getline(str(self.source), exc.lineno) if self.source else ""
            return f"line {exc.lineno}: {str(line).rstrip()}\n{exc.msg}"
        lines = [f"line {f.lineno}, in {f.name}: {(f.line or '').strip()}" for f in own[-3:]]
        lines.append(f"{type(exc).__name__}: {exc}"[:1000])
        return "\n".join(lines)


def _is_allocation_failure(exc: RuntimeError) -> bool:
    """torch reports a failed allocation as a RuntimeError (CPU) or OutOfMemoryError (CUDA)."""
    text = str(exc)
    return (type(exc).__name__ == "OutOfMemoryError" or "can't allocate memory" in text
            or "CUDA out of memory" in text or "DefaultCPUAllocator: not enough memory" in text)


def _is_object(obj: Any) -> bool:
    """True for what new_object hands out as a handle: not plain data, a tensor or a module
    (a DataLoader, a Dataset, a generator, a sampler, any other instance)."""
    if type(obj) in _NATIVE or isinstance(obj, (torch.Tensor, nn.Module)):
        return False
    return codec._from_numpy_scalar(obj) is None  # numpy scalars travel as numbers


def _plain_or_none(value: Any) -> Any:
    try:
        codec.to_plain(value, on_special=specs.encode_special)
    except NotPlainData:
        return None
    return value


def _same_file(a: str, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _error(kind: str, message: str) -> dict:
    return {"ok": False, "error": {"kind": kind, "message": message}}


def _forbidden(sig: ForbiddenSignal, symbol: str) -> dict:
    return {"kind": "forbidden", "call": sig.shown,
            "message": f"{symbol} called {sig.shown}, which this exercise forbids; "
                       f"build it from basic tensor operations instead"}
