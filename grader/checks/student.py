"""The `student` fixture: how a check reaches student code, in either mode.

A check calls `student.softmax(X)`; the proxy encodes the arguments to plain data, sends a
request through its transport and decodes the plain-data reply. LocalTransport answers in this
process (plain pytest); the sandbox's worker answers from a confined process (grader grade).
"""

from __future__ import annotations

import signal
import threading
import time

import contextlib
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Protocol

import torch

from grader.checks import specs
from grader.checks import codec, refcache
from grader.checks.student_errors import NotPlainData, ProtocolError, StudentError, error_from_reply
from grader.checks.executor import Executor, _plain_or_none, reset_torch_state, seed_everything


class Transport(Protocol):
    def request(self, request: dict, timeout: float | None = None) -> dict: ...


class _TookTooLong(BaseException):
    """Raised into student code by the alarm of LocalTransport (a BaseException: `except
    Exception` in the student's loop does not swallow it)."""


class LocalTransport:
    """Answers in this process, with the same codec round trip as the wire. With a timeout (a
    local `pytest exercises/chN`, `check()` in a notebook) a call that runs past it is stopped by
    SIGALRM and answered "took too long", instead of hanging the student's terminal.

    The limit is fair on a busy laptop: torch's one-time lazy imports run before the first alarm
    is set (warm_torch), an alarm that lands inside an import waits for the import to finish, however
    long it takes (an interrupted import leaves torch's operator registry half-built for every later
    check: "Tried to register an operator ... multiple times"), and
    the time the process spent waiting for a CPU, ready to run, is not charged (machine_wait:
    the same answer takes the same charged time at any load)."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor

    def request(self, request: dict, timeout: float | None = None) -> dict:
        plain = codec.roundtrip(request)
        if not timeout or threading.current_thread() is not threading.main_thread() \
                or not hasattr(signal, "setitimer"):
            return codec.roundtrip(self.executor.handle(plain))
        warm_torch()
        fired = []
        start, waited = time.monotonic(), machine_wait()

        def on_alarm(signum: int, frame: Any) -> None:
            charged = time.monotonic() - start - (machine_wait() - waited)
            if charged < timeout or _importing(frame):
                return   # the interval fires again in 0.2 s; an import is never cut short
            fired.append(True)
            raise _TookTooLong()

        previous = signal.signal(signal.SIGALRM, on_alarm)
        # fires again every 0.2 s: code that catches the first (a bare except in a loop) is stopped too
        signal.setitimer(signal.ITIMER_REAL, float(timeout), 0.2)
        try:
            reply = self.executor.handle(plain)
        except _TookTooLong:
            reply = {}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        if fired:
            reset_torch_state()   # the next check starts from torch's defaults, whatever was cut short
            name = request.get("name", "the call") if isinstance(request, dict) else "the call"
            reply = {"ok": False, "error": {"kind": "timeout",
                                            "message": f"{name} took too long (more than {timeout:g} s)"}}
        return codec.roundtrip(reply)


_warmed = False


def warm_torch() -> None:
    """torch's one-time work, done once per process before any call is timed: entering the ban
    guard's dispatch modes and running the first ops under them imports ~900 modules (sympy
    among them; 8 s at a load of 6 on two cores), and an optimizer's first use patches its class."""
    global _warmed
    if _warmed:
        return
    _warmed = True
    from grader.checks.forbid import Guard
    # whatever the caller's grad mode and random state: the warm-up changes neither
    with torch.random.fork_rng(devices=[]), torch.enable_grad(), Guard(["torchgrade_warm_up"]):
        x = torch.ones(2, 2, requires_grad=True)
        (x.clone() @ x).sum().backward()
        torch.nn.functional.relu(x).mean()
        specs.prime()


def _importing(frame: Any) -> bool:
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def machine_wait() -> float:
    """Seconds this thread has spent ready to run but waiting for a CPU (Linux's schedstat
    run delay); 0 where the kernel does not say."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat", "rb") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def encode_args(value: Any) -> Any:
    """Judge side: arguments to plain data (handles and builds as tags)."""
    def special(obj: Any) -> dict | None:
        if isinstance(obj, Handle):
            return {"__tg__": "handle", "id": obj.id}
        return specs.encode_special(obj)
    return codec.to_plain(value, "argument", on_special=special)


class Student:
    """Proxy to one student's module for one exercise."""

    def __init__(self, transport: Transport, exercise: Any = None, *, timeout: float | None = None) -> None:
        self._transport = transport
        self._exercise = exercise
        self.timeout = timeout

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Bound(self, name)

    def __repr__(self) -> str:
        ex = getattr(self._exercise, "id", "?")
        return f"<student code for {ex}>"

    # -- plumbing
    def _begin_check(self, budget: float | None) -> None:
        """A new check starts: a transport that bounds a whole check's time hears of it."""
        begin = getattr(self._transport, "begin_check", None)
        if begin is not None:
            begin(budget)

    def _request(self, request: dict) -> dict:
        reply = self._transport.request(request, timeout=self.timeout)
        if type(reply) is not dict or "ok" not in reply:
            raise ProtocolError("the worker sent a malformed reply")
        if not reply["ok"]:
            error = reply.get("error")
            raise error_from_reply(error if type(error) is dict else {})
        return reply

    def _decode(self, tree: Any) -> Any:
        def on_tag(tag: str, node: dict) -> Any:
            if tag == "handle":
                return Handle(self, int(node["id"]), str(node.get("type", "")))
            return specs.decode_special(tag, node)
        return codec.from_plain(tree, on_tag=on_tag)

    def _invoke(self, request: dict, args: tuple, kwargs: dict, record: bool = False) -> tuple[Any, Any]:
        seed = kwargs.pop("_seed", None)
        forbid = list(kwargs.pop("_forbid", ()))
        no_grad = bool(kwargs.pop("_no_grad", False))
        device = kwargs.pop("_device", None)
        input_shape = kwargs.pop("_input_shape", None)
        count_ops = kwargs.pop("_count_ops", None)
        request = dict(request, args=encode_args(list(args)), kwargs=encode_args(dict(kwargs)),
                       seed=seed, forbid=forbid, record=record)
        if no_grad:
            request["no_grad"] = True
        if device is not None:
            request["device"] = str(device)
        if input_shape is not None:
            request["input_shape"] = [int(s) for s in input_shape]
        if count_ops:
            request["count_ops"] = [str(n) for n in count_ops]
        reply = self._request(request)
        return self._decode(reply.get("value")), self._decode(reply.get("records", {"__tg__": "dict", "v": []}))

    # -- public API (see grader/checks/API.md)
    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._invoke({"op": "call", "name": name}, args, kwargs)[0]

    def call_recorded(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, dict]:
        return self._invoke({"op": "call", "name": name}, args, kwargs, record=True)

    def new_object(self, name: str, *args: Any, **kwargs: Any) -> "Handle":
        """Call `name` and get a Handle to the object it returns, whatever it is (a DataLoader, a
        Dataset, a generator...): the object stays next to the student's code."""
        value = self._invoke({"op": "call", "name": name, "objects": True}, args, kwargs)[0]
        if not isinstance(value, Handle):
            raise NotPlainData(f"{name}(...) returned plain data ({type(value).__name__}), not an object")
        return value

    def new(self, name: str, *args: Any, **kwargs: Any) -> "Handle":
        value = self.call(name, *args, **kwargs)
        if not isinstance(value, Handle):
            raise NotPlainData(f"{name}(...) did not build an nn.Module (got {type(value).__name__})")
        return value

    def instance(self, name: str, *args: Any, **kwargs: Any) -> "Handle":
        """Construct `name(*args, **kwargs)` and keep the object next to the student's code as a
        Handle, whatever its type (for classes that are not nn.Modules)."""
        value = self._invoke({"op": "instance", "name": name}, args, kwargs)[0]
        if not isinstance(value, Handle):
            raise ProtocolError("the worker did not answer with a handle")
        return value

    def make(self, spec: Any) -> "Handle":
        """Build a model from a `build` spec next to the student's code and keep it as a Handle
        (one object that several calls can share)."""
        value = self._decode(self._request({"op": "make", "spec": encode_args(spec)})["value"])
        if not isinstance(value, Handle):
            raise ProtocolError("the worker did not answer with a handle")
        return value

    def has(self, name: str) -> bool:
        return bool(self._decode(self._request({"op": "has", "name": name})["value"]))

    def probe(self, name: str, **spec: Any) -> Any:
        return self._decode(self._request({"op": "probe", "name": name, "spec": encode_args(spec)})["value"])

    def info(self) -> dict:
        return self._decode(self._request({"op": "info"})["value"])


def local_student(code: Executor | ModuleType | Path | str, exercise: Any = None, *, module_name: str = "",
                  timeout: float | None = None) -> Student:
    """A Student whose code runs in this process, under `exercise`'s forbidden built-ins: pytest,
    `check()`, nbgrader's cells, `grader validate`, the judge timing its reference, Gradescope's
    fallback. `code` is a file to import (as `module_name`), a module (or an object standing in
    for one, such as a notebook's namespace), or an Executor already made (to import a file once
    for many checks)."""
    if not isinstance(code, Executor):
        forbid = getattr(exercise, "forbid", None)
        if isinstance(code, (str, Path)):
            path = Path(code)
            code = Executor.from_file(path, module_name or f"torchgrade_local_{path.stem}", forbid=forbid)
        else:
            code = Executor(code, forbid=forbid)
    return Student(LocalTransport(code), exercise, timeout=timeout)


class _Bound:
    def __init__(self, student: Student, name: str) -> None:
        self._student, self._name = student, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._student.call(self._name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<student's {self._name}>"


class Handle:
    """An object (nn.Module) living next to the student's code."""

    def __init__(self, student: Student, hid: int, type_name: str = "") -> None:
        self._student, self.id, self.type_name = student, hid, type_name

    def __repr__(self) -> str:
        return f"<student {self.type_name} #{self.id}>"

    def _op(self, method: str, *args: Any, record: bool = False, **kwargs: Any) -> Any:
        value, records = self._student._invoke({"op": "handle", "id": self.id, "method": method},
                                               args, kwargs, record=record)
        return (value, records) if record else value

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._op("forward", *args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._op("forward", *args, **kwargs)

    def backward(self, *inputs: Any, grad_output: Any = None, **kwargs: Any) -> dict:
        return self._op("backward", *inputs, grad_output=grad_output, **kwargs)

    def state_dict(self) -> dict:
        return self._op("state_dict")

    def load_state_dict(self, state: dict, strict: bool = True) -> dict:
        return self._op("load_state_dict", state, strict=strict)

    def train(self, mode: bool = True) -> "Handle":
        self._op("train", mode)
        return self

    def eval(self) -> "Handle":
        self._op("eval")
        return self

    @property
    def training(self) -> bool:
        return bool(self._op("training"))

    def num_params(self) -> int:
        return int(self._op("num_params"))

    def modules(self) -> list[dict]:
        return self._op("modules")

    def child(self, name: str) -> "Handle":
        return self._op("child", name)

    def to(self, device: Any) -> "Handle":
        self._op("to", device)
        return self

    def attr_as_dict(self, name: str) -> Any:
        """Like attr, but a mapping (an OrderedDict such as a copied state_dict) comes back as a
        plain dict of its items; anything else as attr returns it."""
        return self._op("attr_as_dict", name)

    def type_names(self) -> list[str]:
        """The object's class and its bases, as "module.QualName" strings (type(obj).__mro__)."""
        return list(self._op("type_names"))

    def attr(self, name: str) -> Any:
        return self._op("attr", name)

    def call_method(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._op("call_method", name, *args, **kwargs)

    def items(self, limit: int = 100_000, **kwargs: Any) -> list:
        """Iterate the object once next to the student's code and return the items as a list
        (a DataLoader: one epoch of batches; a generator: drained, so a second call gives [])."""
        return self._op("items", limit=limit, **kwargs)

    def len(self, **kwargs: Any) -> int:
        return self._op("len", **kwargs)

    def getitem(self, key: Any, **kwargs: Any) -> Any:
        return self._op("getitem", key, **kwargs)


def reference_call(fn: Callable[..., Any], *args: Any, _seed: int | None = None, _no_grad: bool = False,
                   _device: Any = None, **kwargs: Any) -> tuple[Any, dict]:
    """Run a reference function in the judge on the same builds a student call gets.

    Returns (value, records) canonicalised exactly like a student's reply, so both sides of a
    comparison have been through the same codec. `_device` runs it under `torch.device(_device)`,
    as the same reserved argument does for a student call.
    """
    fn = refcache.unwrap(fn)
    plain_args = codec.roundtrip(encode_args(list(args)))
    plain_kwargs = codec.roundtrip(encode_args(dict(kwargs)))
    cache, key = refcache.CACHE, None
    if refcache.enabled():
        # The canonical bytes of the arguments, built specs included, as a student call sends
        # them; builds are made under the check's default dtype, so that is an input too.
        key = cache.key(fn, codec.dumps([plain_args, plain_kwargs]),
                        (_seed, bool(_no_grad), None if _device is None else str(_device),
                         str(torch.get_default_dtype())))
    hit = cache.get(key, fn)
    if hit is not None:
        hit.restore(lambda: _materialize(specs.BuildContext(), plain_args, plain_kwargs), reset_torch_state)
        return _decode_canon(hit.value), _decode_canon(hit.records)
    before_builds = refcache.rng_states() if key is not None else ()
    ctx = specs.BuildContext()
    args, kwargs = _materialize(ctx, plain_args, plain_kwargs)
    reset_torch_state()
    if _seed is not None:
        seed_everything(int(_seed))
    before_call = refcache.rng_states() if key is not None else ()
    with contextlib.ExitStack() as stack:
        if _no_grad:
            stack.enter_context(torch.no_grad())
        if _device is not None:
            stack.enter_context(torch.device(str(_device)))
        value = fn(*args, **kwargs)
    ctx.result = value

    def canon(v: Any) -> bytes:
        return codec.dumps(codec.to_plain(v, "reference value", on_special=specs.encode_special))
    records = ctx.records()
    records["args_after"] = [_plain_or_none(a) for a in args]
    value_bytes, records_bytes = canon(value), canon(records)
    cache.put(key, fn, value_bytes, records_bytes, seeded=_seed is not None,
              before_builds=before_builds, before_call=before_call)
    return _decode_canon(value_bytes), _decode_canon(records_bytes)


def _materialize(ctx: specs.BuildContext, plain_args: Any, plain_kwargs: Any) -> tuple[Any, Any]:
    return (ctx.materialize(codec.from_plain(plain_args, on_tag=specs.decode_special)),
            ctx.materialize(codec.from_plain(plain_kwargs, on_tag=specs.decode_special)))


def _decode_canon(data: bytes) -> Any:
    return codec.from_plain(codec.loads(data), on_tag=specs.decode_special)


__all__ = ["Student", "Handle", "LocalTransport", "local_student", "Transport", "reference_call", "StudentError"]
