"""The reference cache: a hidden check's reference answers computed once per judge, not once per student.

A check draws its inputs from its seeded `rng`, so for the same check the reference is called on
the same inputs for every student. `reference_call` looks its answer up here, keyed by the check
that runs, the reference function and the canonical bytes of everything the call depends on: its
arguments (built specs included, as the tagged plain tree the codec writes), the reserved
`_seed`/`_no_grad`/`_device` and the default dtype. Only answers that cannot depend on anything
else are kept: a seeded call, or one whose reference drew nothing from the global RNGs. A hit
replays what the call left behind (its value and records, decoded afresh, and the global RNG
states after it), so the check sees exactly what a fresh call would give.

The cache lives in the judge process only (and in `grader validate`'s processes); a worker
never sees it. Turn it off with TORCHGRADE_REFERENCE_CACHE=off (or `grader grade/validate
--no-reference-cache`, which sets it), e.g. to prove grades are the same without it.

`export`/`load` carry the answers of module-level functions (named by module and qualified
name, not by id) between processes as plain records: the judge keeps what calibration computed
per course version and machine (grader/grading/judgecache.py), so a later run starts with them.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import functools
import hashlib
import inspect
import os
import random
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import torch

ENV = "TORCHGRADE_REFERENCE_CACHE"
MAX_ENTRIES = 20_000          # a bound, not a tuning knob: the course makes a few hundred

_check: contextvars.ContextVar[str | None] = contextvars.ContextVar("torchgrade_check", default=None)


def enabled() -> bool:
    return os.environ.get(ENV, "on").strip().lower() not in ("0", "off", "false", "no")


@contextlib.contextmanager
def running_check(check_id: str, seed: int) -> Iterator[None]:
    """Names the check whose reference calls follow (part of every key)."""
    token = _check.set(f"{check_id}@{seed}")
    try:
        yield
    finally:
        _check.reset(token)


def rng_states() -> tuple[Any, ...]:
    states: list[Any] = [torch.get_rng_state(), random.getstate()]
    try:
        import numpy as np
        states.append(np.random.get_state())
    except Exception:  # noqa: BLE001 - numpy is optional
        states.append(None)
    states.append(torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None)
    return tuple(states)


def _set_rng_states(states: tuple[Any, ...]) -> None:
    torch.set_rng_state(states[0])
    random.setstate(states[1])
    if states[2] is not None:
        import numpy as np
        np.random.set_state(states[2])
    if states[3] is not None and torch.cuda.is_initialized():
        torch.cuda.set_rng_state_all(states[3])


def _same_states(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    if not torch.equal(a[0], b[0]) or a[1] != b[1]:
        return False
    if (a[2] is None) != (b[2] is None) or (a[3] is None) != (b[3] is None):
        return False
    if a[2] is not None:
        import numpy as np
        if a[2][0] != b[2][0] or not np.array_equal(a[2][1], b[2][1]) or a[2][2:] != b[2][2:]:
            return False
    return all(torch.equal(x, y) for x, y in zip(a[3] or (), b[3] or ()))


def stable_name(fn: Callable[..., Any]) -> str | None:
    """`module:qualname` of a function its module holds under that name (a reference solution's,
    a check module's, torch's), the same in every process; None for a closure or a lambda, which
    are keyed by identity and never leave the process."""
    import sys
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        return None
    owner: Any = sys.modules.get(module)
    for part in qualname.split("."):
        owner = getattr(owner, part, None)
    return f"{module}:{qualname}" if owner is fn else None


@dataclass
class _Entry:
    fn: Callable[..., Any] | None   # kept alive so its id() in the key cannot be reused; None: loaded
    value: bytes                    # the canonical plain trees, decoded afresh on every hit
    records: bytes
    rng_after: tuple[Any, ...] | None   # seeded call: the global RNG states it leaves behind
    builds_draw: bool               # unseeded call: making its builds drew from the global RNG
    default_dtype: torch.dtype
    grad_enabled: bool
    check: str = ""                 # the check and seed it was computed in (export picks by check)
    stable: bool = False            # keyed by the function's name: it may leave the process

    def restore(self, rebuild: Callable[[], Any], reset: Callable[[], None]) -> None:
        """Leave the global state as the call itself would have left it."""
        if self.rng_after is None and self.builds_draw:
            rebuild()           # its draws depend on the states it starts from: make them again
        reset()
        if self.rng_after is not None:
            _set_rng_states(self.rng_after)
        torch.set_default_dtype(self.default_dtype)
        torch.set_grad_enabled(self.grad_enabled)


class ReferenceCache:
    """What one judge process has computed. A call is kept only when its answer cannot depend
    on anything outside the key: it is seeded (`_seed`), or the reference drew nothing from the
    global RNGs (then what it returns does not depend on their states)."""

    def __init__(self) -> None:
        self.entries: dict[bytes, _Entry] = {}
        # CachedReference's answers: key -> (fn, value, check, stable); fn None when loaded
        self.direct: dict[bytes, tuple[Callable[..., Any] | None, Any, str, bool]] = {}
        self.hits = 0
        self.misses = 0

    def key(self, fn: Callable[..., Any], args_bytes: bytes, extra: tuple) -> bytes | None:
        check = _check.get()
        if check is None:
            return None
        h = hashlib.blake2b(digest_size=32)
        h.update(repr((check, stable_name(fn) or id(fn), getattr(fn, "__module__", ""),
                       getattr(fn, "__qualname__", ""), extra)).encode())
        h.update(args_bytes)
        return h.digest()

    def get(self, key: bytes | None, fn: Callable[..., Any]) -> _Entry | None:
        entry = self.entries.get(key) if key is not None else None
        if entry is None:
            return None
        if entry.fn is None:        # loaded: its key holds the function's name, which is fn's
            entry.fn = fn
        if entry.fn is not fn:
            return None
        self.hits += 1
        return entry

    def put(self, key: bytes | None, fn: Callable[..., Any], value: bytes, records: bytes, *, seeded: bool,
            before_builds: tuple[Any, ...], before_call: tuple[Any, ...]) -> None:
        """`before_builds`/`before_call`: the global RNG states before the builds were made and
        right before the reference ran (after seeding, for a seeded call)."""
        if key is None:
            return
        self.misses += 1
        after = rng_states()
        if not seeded and not _same_states(before_call, after):
            return              # it drew from the global RNG: its answer depends on their states
        if len(self.entries) >= MAX_ENTRIES:
            self.entries.pop(next(iter(self.entries)))
        self.entries[key] = _Entry(fn, value, records, after if seeded else None,
                                   not seeded and not _same_states(before_builds, before_call),
                                   torch.get_default_dtype(), torch.is_grad_enabled(),
                                   _check.get() or "", stable_name(fn) is not None)

    def clear(self) -> None:
        self.entries.clear()
        self.direct.clear()
        self.hits = self.misses = 0

    # ------------------------------------------------------------------ between processes

    def export(self, check_prefix: str) -> list[dict]:
        """The answers computed in checks whose id starts with `check_prefix` (an exercise's
        "ch3.softmax::"), as plain records (bytes, numbers, strings, lists): those keyed by a
        function's name, whose every part survives the trip exactly."""
        out = []
        for key, entry in self.entries.items():
            if entry.stable and entry.check.startswith(check_prefix):
                out.append({"kind": "call", "key": key, "check": entry.check, "value": entry.value,
                            "records": entry.records, "rng_after": _states_record(entry.rng_after),
                            "builds_draw": entry.builds_draw, "dtype": str(entry.default_dtype),
                            "grad": entry.grad_enabled})
        for key, (_fn, value, check, stable) in self.direct.items():
            data = _exact_bytes(value) if stable and check.startswith(check_prefix) else None
            if data is not None:
                out.append({"kind": "direct", "key": key, "check": check, "value": data})
        return out

    def load(self, records: Any) -> int:
        """Answers exported by another process (see export); a record of any other shape is
        left out. Returns how many were taken."""
        taken = 0
        for record in records if type(records) is list else ():
            try:
                if record["kind"] == "call":
                    key = _bytes(record["key"])
                    self.entries.setdefault(key, _Entry(
                        None, _bytes(record["value"]), _bytes(record["records"]),
                        _states_from(record["rng_after"]), _bool(record["builds_draw"]),
                        _dtype(record["dtype"]), _bool(record["grad"]), _str(record["check"]), True))
                elif record["kind"] == "direct":
                    from grader.checks import codec
                    value = codec.from_plain(codec.loads(_bytes(record["value"])))
                    self.direct.setdefault(_bytes(record["key"]), (None, value, _str(record["check"]), True))
                else:
                    continue
            except (KeyError, TypeError, ValueError, RuntimeError, NotImplementedError):
                continue
            except Exception:  # noqa: BLE001 - a damaged record is skipped, never fatal
                continue
            taken += 1
        return taken


def _bytes(v: Any) -> bytes:
    if type(v) is not bytes:
        raise TypeError("bytes expected")
    return v


def _str(v: Any) -> str:
    if type(v) is not str:
        raise TypeError("str expected")
    return v


def _bool(v: Any) -> bool:
    if type(v) is not bool:
        raise TypeError("bool expected")
    return v


def _dtype(name: Any) -> torch.dtype:
    dtype = getattr(torch, _str(name).removeprefix("torch."), None)
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"not a dtype: {name!r}")
    return dtype


def _tensor_bytes(t: torch.Tensor) -> bytes:
    return t.detach().to("cpu").contiguous().view(torch.uint8).numpy().tobytes()


def _states_record(states: tuple[Any, ...] | None) -> Any:
    """rng_states() as plain data: the generators' states, exactly."""
    if states is None:
        return None
    torch_state, python_state, numpy_state, cuda_states = states
    version, internal, gauss = python_state
    numpy_part = None
    if numpy_state is not None:
        name, keys, pos, has_gauss, cached = numpy_state
        numpy_part = [str(name), keys.tobytes(), str(keys.dtype), int(pos), int(has_gauss), float(cached)]
    return [_tensor_bytes(torch_state), [int(version), [int(x) for x in internal], gauss], numpy_part,
            None if cuda_states is None else [_tensor_bytes(t) for t in cuda_states]]


def _states_from(record: Any) -> tuple[Any, ...] | None:
    if record is None:
        return None
    torch_part, python_part, numpy_part, cuda_part = record
    version, internal, gauss = python_part
    if type(version) is not int or type(internal) is not list or not all(type(x) is int for x in internal) \
            or not (gauss is None or type(gauss) is float):
        raise TypeError("a Python random state expected")
    numpy_state = None
    if numpy_part is not None:
        import numpy as np
        name, keys, dtype, pos, has_gauss, cached = numpy_part
        numpy_state = (_str(name), np.frombuffer(_bytes(keys), dtype=np.dtype(_str(dtype))).copy(),
                       int(pos), int(has_gauss), float(cached))
    cuda = None if cuda_part is None else [torch.frombuffer(bytearray(_bytes(b)), dtype=torch.uint8)
                                           for b in cuda_part]
    return (torch.frombuffer(bytearray(_bytes(torch_part)), dtype=torch.uint8), (version, tuple(internal), gauss),
            numpy_state, cuda)


def _exact_bytes(value: Any) -> bytes | None:
    """`value` as codec bytes, when decoding them gives back exactly `value` (types, dtypes,
    shapes, strides, values); else None (it stays in this process)."""
    from grader.checks import codec
    try:
        data = codec.dumps(codec.to_plain(value))
        if _digest(codec.from_plain(codec.loads(data)))[0] != _digest(value)[0]:
            return None
    except Exception:  # noqa: BLE001 - anything the codec cannot carry stays here
        return None
    return data


class _NotData(Exception):
    pass


def _fingerprint(obj: Any, h: Any, tensors: list[torch.Tensor], depth: int = 0) -> None:
    """Feed `obj` to `h` exactly (types, tensor dtype/device/shape/strides/values); anything that
    is not plain data raises _NotData. Tensors met are appended to `tensors`."""
    kind = type(obj)
    if depth > 50:
        raise _NotData
    if obj is None or kind in (bool, int, float, complex, str, bytes):
        h.update(f"{kind.__name__}:{obj!r};".encode())
    elif kind is torch.Tensor or kind is torch.nn.Parameter:
        if obj.layout != torch.strided or obj.device.type == "meta":
            raise _NotData
        tensors.append(obj)
        h.update(repr((kind.__name__, obj.dtype, str(obj.device), tuple(obj.shape), obj.stride(),
                       obj.storage_offset(), obj.requires_grad)).encode())
        h.update(obj.detach().to("cpu").contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
                 if obj.numel() else b"")
    elif kind in (list, tuple):
        h.update(f"{kind.__name__}[{len(obj)}".encode())
        for v in obj:
            _fingerprint(v, h, tensors, depth + 1)
        h.update(b"]")
    elif kind is dict:
        h.update(f"dict[{len(obj)}".encode())
        for k, v in obj.items():
            _fingerprint(k, h, tensors, depth + 1)
            _fingerprint(v, h, tensors, depth + 1)
        h.update(b"]")
    elif kind in (torch.dtype, torch.device, torch.Size):
        h.update(f"{kind.__name__}:{obj!r};".encode())
    else:
        raise _NotData


def _digest(obj: Any) -> tuple[bytes, list[torch.Tensor]]:
    h = hashlib.blake2b(digest_size=32)
    tensors: list[torch.Tensor] = []
    _fingerprint(obj, h, tensors)
    return h.digest(), tensors


def _storages(tensors: list[torch.Tensor]) -> set[int]:
    return {t.untyped_storage().data_ptr() for t in tensors if t.numel()}


class CachedReference:
    """The `reference` fixture in the judge: the reference module, whose plain functions called
    directly (`reference.accuracy(y_hat, y)`) are memoised like `reference_call`.

    A direct call gets the check's own objects, so it is kept only when replaying it is exactly
    the same as running it: every argument and the answer are plain data (no module, no tensor
    that requires grad), the call changed none of its arguments, drew nothing from the global
    RNGs, left the default dtype and grad mode alone, and its answer shares no memory with its
    arguments. A hit is a deep copy of the kept answer. Anything else runs as it always did.
    """

    def __init__(self, module: Any) -> None:
        self._module = module
        self._wrapped: dict[str, Callable[..., Any]] = {}

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if not (inspect.isfunction(value) and value.__module__ == getattr(self._module, "__name__", None)):
            return value
        wrapped = self._wrapped.get(name)
        if wrapped is None or getattr(wrapped, "__wrapped__", None) is not value:
            wrapped = self._wrapped[name] = _memoised(value)
        return wrapped

    def __repr__(self) -> str:
        return f"<cached reference {getattr(self._module, '__name__', '?')}>"


_FIXTURES: dict[int, CachedReference] = {}   # id(module) -> its wrapper, for the judge's lifetime


def cached_reference(module: Any) -> CachedReference:
    """The one CachedReference of `module`: every student a judge grades gets the same object,
    so a check's own memo keyed by the fixture (a reference network built once) lasts. The
    wrapper holds its module, so an id is never reused while its entry exists."""
    found = _FIXTURES.get(id(module))
    if found is None or found._module is not module:
        found = _FIXTURES[id(module)] = CachedReference(module)
    return found


def _memoised(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        check = _check.get()
        if check is None or not enabled():
            return fn(*args, **kwargs)
        try:
            args_digest, arg_tensors = _digest([args, kwargs])
        except _NotData:
            return fn(*args, **kwargs)
        if any(t.requires_grad for t in arg_tensors):
            return fn(*args, **kwargs)
        stable = stable_name(fn)
        key = hashlib.blake2b(repr((check, stable or id(fn), str(torch.get_default_dtype()),
                                    torch.is_grad_enabled())).encode() + args_digest, digest_size=32).digest()
        entry = CACHE.direct.get(key)
        if entry is not None and entry[0] is None:   # loaded: its key holds fn's name
            entry = CACHE.direct[key] = (fn, *entry[1:])
        if entry is not None and entry[0] is fn:
            CACHE.hits += 1
            return copy.deepcopy(entry[1])
        before = rng_states()
        dtype, grad = torch.get_default_dtype(), torch.is_grad_enabled()
        value = fn(*args, **kwargs)
        CACHE.misses += 1
        try:
            _, value_tensors = _digest(value)
            unchanged = _digest([args, kwargs])[0] == args_digest
        except _NotData:
            return value
        if (unchanged and not any(t.requires_grad for t in value_tensors)
                and not (_storages(value_tensors) & _storages(arg_tensors))
                and dtype == torch.get_default_dtype() and grad == torch.is_grad_enabled()
                and _same_states(before, rng_states()) and len(CACHE.direct) < MAX_ENTRIES):
            CACHE.direct[key] = (fn, copy.deepcopy(value), check, stable is not None)
        return value
    call._tg_memoised = fn  # type: ignore[attr-defined]
    return call


def unwrap(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The reference function behind a CachedReference attribute (reference_call keeps its own)."""
    return getattr(fn, "_tg_memoised", fn)


CACHE = ReferenceCache()

__all__ = ["CACHE", "CachedReference", "cached_reference", "ENV", "ReferenceCache", "enabled", "running_check"]
