"""The engine's seal in a worker: what student code must not change, frozen and verified.

A worker imports the student's module into the same interpreter as the engine code that guards
bans, builds and records objects, encodes replies and writes them, so student code can reach
that code and rewrite it (`Guard.seen = lambda *a: None`, `torch.nn.Module.named_modules = ...`,
`Guard.seen.__code__ = ...`, `torch.Tensor.contiguous = ...`). Before the student's import:

- the engine modules get a module class that refuses attribute rebinding, and the engine's own
  classes (declared with `metaclass=Sealed`) refuse class-level patching; a refused attempt is
  remembered even if the student's code catches the error;
- every engine module resolves its builtins in its own copy (ENGINE_BUILTINS), and binds the
  torch and stdlib functions it calls while student code runs at import: rebinding
  `builtins.isinstance`, `sys._getframe` or a torch function, even for the length of one call,
  changes nothing the engine does;
- a snapshot keeps, by identity, every attribute of the engine modules and classes, of the torch
  modules and classes the engine relies on (and of `builtins`), and for each Python function
  found there its code, defaults and closure cells; the engine's own modules and classes and the
  torch classes may not gain attributes either (`torch.Tensor.contiguous = f` adds one).

`changes()` compares the present with the snapshot; the executor calls it before the first
request and after every request, and reports any difference as `tampering`. Where CPython
keeps a version tag in every dict (3.11 to 3.13: `ma_version_tag`, bumped by every change), an
unchanged tag proves an unchanged namespace, so only the dicts whose tag moved are compared
entry by entry; elsewhere every entry is compared every time.

This is detection inside the student's own interpreter: code that rewrites memory (ctypes) or
reaches the snapshot itself can still defeat it, which is why the judge's review of the source
holds those tools for a person (grader.grading.review).
"""

from __future__ import annotations

import builtins
import copyreg
import ctypes
import gc
import sys
import threading
import types
from itertools import repeat
from operator import attrgetter, is_not
from typing import Any, Callable, Iterable

# The builtins every engine module resolves its names in: a copy taken before any student code
# ran (`from grader.checks.integrity import ENGINE_BUILTINS as __builtins__`, first thing in the
# module, so that every function it defines looks names up here and not in `builtins`).
ENGINE_BUILTINS: dict[str, Any] = dict(vars(builtins))
__builtins__ = ENGINE_BUILTINS  # type: ignore[assignment]  # its own functions too

ENGINE_MODULES = ("grader.checks.student_errors", "grader.checks.codec", "grader.checks.specs",
                  "grader.checks.forbid", "grader.checks.probes", "grader.checks.lazy", "grader.checks.opcount",
                  "grader.checks.nn_state",
                  "grader.checks.executor", "grader.checks.integrity",
                  # the reply loop: what reads requests and writes replies after the student's import
                  "grader.sandbox.wire", "grader.sandbox.worker")
# torch modules whose attributes the engine calls (names added later, e.g. lazy submodules, are
# fine), and msgpack, which writes the reply
TORCH_MODULES = ("msgpack", "torch", "torch.nn.functional", "torch.nn.modules.module", "torch.overrides",
                 "torch.utils._python_dispatch", "torch.serialization", "torch.autograd", "torch.autograd.grad_mode",
                 "torch.random", "torch.jit", "torch._C", "torch._ops", "torch.library")
# attributes torch itself rebinds at run time (set_default_dtype swaps torch.Storage)
VOLATILE = {"torch": ("Storage",)}
# modules of which only the names the engine uses are sealed (a student may rebind print)
PARTLY = {"builtins": ("isinstance", "issubclass", "type", "len", "getattr", "hasattr", "setattr", "str", "int",
                       "float", "bool", "bytes", "dict", "list", "tuple", "set", "frozenset", "id", "iter",
                       "next", "range", "zip", "min", "max", "sum", "sorted", "repr", "vars", "callable",
                       "object", "super", "enumerate", "reversed", "any", "all", "round", "abs", "__import__"),
          "threading": ("Thread", "_start_new_thread", "Lock", "RLock", "Event", "current_thread"),
          "_thread": ("start_new_thread", "start_new", "allocate_lock"),
          "pickle": ("Pickler", "Unpickler", "dump", "dumps", "load", "loads", "_Pickler", "_Unpickler"),
          "io": ("BytesIO",), "copyreg": ("dispatch_table", "_reconstructor", "__reduce_ex__")}


def _torch_classes() -> list[type]:
    """The torch (and stdlib) classes the engine and the reply loop call through."""
    import socket

    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset
    from torch.overrides import TorchFunctionMode
    from torch.utils._python_dispatch import TorchDispatchMode
    return [torch.Tensor, torch._C.TensorBase, nn.Module, nn.Sequential, nn.Linear, nn.Conv2d, nn.Flatten,
            nn.ReLU, nn.MaxPool2d, nn.CrossEntropyLoss, nn.modules.dropout._DropoutNd, nn.Dropout,
            torch.optim.Optimizer, torch.optim.SGD, DataLoader, TensorDataset, TorchFunctionMode,
            TorchDispatchMode, torch.Generator, torch._ops.OpOverload, torch._ops.OpOverloadPacket,
            torch._C._DispatchOperatorHandle, torch._C._DispatchModule, threading.Thread, socket.socket,
            types.ModuleType, type]


class TamperingError(AttributeError):
    """Raised at a refused rebinding of a sealed engine attribute."""


_STATE: dict[str, Any] = {"frozen": False, "snapshot": None}   # one object, so sealing rebinds nothing
ATTEMPTS: list[str] = []   # refused rebindings, kept even when the student's code caught the error


def _refuse(what: str) -> None:
    ATTEMPTS.append(what)
    raise TamperingError(f"{what}: the grader's own code cannot be changed")


class Sealed(type):
    """Metaclass of the engine's classes: no class-level patching once the worker is sealed."""

    def __setattr__(cls, name: str, value: Any) -> None:
        if _STATE["frozen"]:
            _refuse(f"setting {cls.__module__}.{cls.__qualname__}.{name}")
        super().__setattr__(name, value)

    def __delattr__(cls, name: str) -> None:
        if _STATE["frozen"]:
            _refuse(f"deleting {cls.__module__}.{cls.__qualname__}.{name}")
        super().__delattr__(name)


class _FrozenModule(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if _STATE["frozen"]:
            _refuse(f"setting {self.__name__}.{name}")
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if _STATE["frozen"]:
            _refuse(f"deleting {self.__name__}.{name}")
        super().__delattr__(name)


IGNORED = ("__warningregistry__",)  # the warnings module's cache, written into any module that warns
_MISSING = object()
_IMMUTABLE_TYPE = 1 << 8     # Py_TPFLAGS_IMMUTABLETYPE: C types whose attributes cannot be set
_CODE, _DEFAULTS, _KWDEFAULTS = attrgetter("__code__"), attrgetter("__defaults__"), attrgetter("__kwdefaults__")
_CONTENTS = attrgetter("cell_contents")
_VALUE = attrgetter("value")
_PLAIN = (bool, int, float, complex, str, bytes, type(None))
MUTABLE = ("_ACTIVE", "STRICT", "ATTEMPTS", "_STATE", "_INSTALLED", "_LIBRARIES", "_OPS")  # engine state that changes by design


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _contents(value: Any) -> tuple:
    if type(value) is dict:
        return tuple(x for item in value.items() for x in item)
    if type(value) is set:
        return tuple(sorted(value, key=id))
    return tuple(value)


def _function_parts(fn: Any) -> tuple:
    """What a function is besides its identity: the objects a patch would replace."""
    cells = []
    for cell in fn.__closure__ or ():
        try:
            cells.append(cell.cell_contents)
        except ValueError:  # an empty cell
            cells.append(None)
    return (fn.__code__, fn.__defaults__, fn.__kwdefaults__, tuple(cells), fn.__globals__.get("__name__"))


def _namespace(owner: Any) -> dict:
    """The dict an owner's attributes live in (a class's own, not the read-only proxy)."""
    space = vars(owner)
    if type(space) is dict:
        return space
    inner = gc.get_referents(space)
    if len(inner) != 1 or type(inner[0]) is not dict:
        raise TypeError(f"cannot seal {owner!r}: no dict behind its namespace")
    return inner[0]


def _version_reader() -> Callable[[dict], Any] | None:
    """A reader of CPython's per-dict version tag (ma_version_tag, right after the object
    header and ma_used), or None where this interpreter has none that behaves as one: every
    change moves it, nothing else does."""
    if sys.implementation.name != "cpython" or not (3, 11) <= sys.version_info[:2] <= (3, 13):
        return None
    offset = object.__basicsize__ + ctypes.sizeof(ctypes.c_ssize_t)

    def view(space: dict) -> Any:
        return ctypes.c_uint64.from_address(id(space) + offset)

    probe: dict = {"x": 1}
    tag = view(probe)
    first = tag.value
    second = tag.value
    probe["y"] = 2
    third = tag.value
    probe["x"] = 3
    fourth = tag.value
    return view if first == second != third != fourth else None


VERSIONS = _version_reader()   # None: every namespace is compared entry by entry


class _Snapshot:
    """Every attribute of the sealed owners, by identity (the snapshot keeps the objects alive,
    so an id cannot be reused by a look-alike)."""

    def __init__(self, owners: Iterable[tuple[str, Any, bool, tuple | None]]) -> None:
        self.entries: list[tuple[str, Any, dict, frozenset | None]] = []   # known: names at the seal, if closed
        self.functions: list[tuple[str, Any, tuple]] = []
        checks: list[tuple[dict, Callable[[], bool]]] = []   # (a dict, how to compare it entry by entry)
        seen: set[int] = set()
        for label, owner, strict, names in owners:
            skip = VOLATILE.get(label, ())
            # torch keeps state in module-level flags (_is_in_torch_dispatch_mode): outside the
            # engine only what can be called or looked into is sealed, not plain values
            attrs = {k: v for k, v in vars(owner).items()
                     if (names is None or k in names) and k not in skip and k not in IGNORED
                     and (strict or not isinstance(v, _PLAIN))}
            # nothing may be added to an engine namespace or a class (a new Tensor.contiguous
            # shadows the C method); torch modules gain lazy submodules by design
            known = frozenset(vars(owner)) if strict or isinstance(owner, type) else None
            self.entries.append((label, owner, attrs, known))
            checks.append((_namespace(owner), self._owner_check(owner, attrs, known)))
            for name, value in attrs.items():
                fn = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
                if isinstance(fn, types.FunctionType) and id(fn) not in seen:
                    seen.add(id(fn))
                    self.functions.append((f"{label}.{name}", fn, _function_parts(fn)))
        # the engine's own tables (FAMILIES, PROBES, FUNCTIONS, ENGINE_BUILTINS...): their
        # contents, by identity, each once
        tables: dict[int, tuple[str, Any, tuple]] = {}
        for label, owner, strict, _ in owners:
            if strict and isinstance(owner, types.ModuleType):
                for name, value in vars(owner).items():
                    if type(value) in (dict, list, set) and name not in MUTABLE and name != "__builtins__":
                        tables.setdefault(id(value), (f"{label}.{name}", value, _contents(value)))
        self.tables = list(tables.values())
        for _, table, _ in self.tables:
            if type(table) is dict:
                checks.append((table, self._table_check(table)))
        self.modules = {name: sys.modules.get(name) for name in ENGINE_MODULES + TORCH_MODULES + tuple(PARTLY)}
        checks.append((sys.modules, self._modules_check()))
        self._checks = [check for _, check in checks]
        reader = VERSIONS
        self._views = [reader(space) for space, _ in checks] if reader is not None else []
        self._tags = list(map(_VALUE, self._views))
        self._prepare_functions()
        self._lists = [(value, tuple(value)) for _, value, _ in self.tables if type(value) is list]
        # the members are kept (in self.tables) so that no id is reused by a look-alike
        self._sets = [(value, frozenset(map(id, value))) for _, value, _ in self.tables if type(value) is set]

    @staticmethod
    def _owner_check(owner: Any, attrs: dict, known: frozenset | None) -> Callable[[], bool]:
        space, keys, values = vars(owner), tuple(attrs), tuple(attrs.values())

        def clean() -> bool:
            if any(map(is_not, map(space.get, keys, repeat(_MISSING)), values)):
                return False
            return known is None or all(k in known or k in IGNORED for k in space)
        return clean

    @staticmethod
    def _table_check(table: dict) -> Callable[[], bool]:
        size, keys, values = len(table), tuple(table), tuple(table.values())
        return lambda: len(table) == size and not any(map(is_not, map(table.get, keys, repeat(_MISSING)), values))

    def _modules_check(self) -> Callable[[], bool]:
        names, modules = tuple(self.modules), tuple(self.modules.values())
        return lambda: not any(map(is_not, map(sys.modules.get, names), modules))

    def _prepare_functions(self) -> None:
        """Flat tuples of function parts, so the comparisons run in map(), not a Python loop."""
        functions = self.functions
        self.fns = tuple(fn for _, fn, _ in functions)
        self.codes = tuple(parts[0] for _, _, parts in functions)
        self.defaults = tuple(parts[1] for _, _, parts in functions)
        # keyword-only defaults matter only where there are keyword-only parameters
        self.kw_fns = tuple(fn for _, fn, _ in functions if fn.__code__.co_kwonlyargcount)
        self.kwdefaults = tuple(fn.__kwdefaults__ for fn in self.kw_fns)
        # a function's closure tuple cannot be rebound, only its cells' contents
        cells = [(cell, value) for _, fn, parts in functions for cell, value in zip(fn.__closure__ or (), parts[3])]
        self.full_cells = tuple(cell for cell, _ in cells if _filled(cell))
        self.full_contents = tuple(value for cell, value in cells if _filled(cell))
        self.empty_cells = tuple(cell for cell, _ in cells if not _filled(cell))

    def _namespaces_clean(self) -> bool:
        if not self._views:   # no version tags here: every namespace, entry by entry
            return all(check() for check in self._checks)
        now = list(map(_VALUE, self._views))
        if now == self._tags:
            return True
        for i, (tag, kept) in enumerate(zip(now, self._tags)):
            if tag != kept:
                if not self._checks[i]():
                    return False
                self._tags[i] = tag   # changed, but not in anything sealed (a plain flag, a lazy submodule)
        return True

    def clean(self) -> bool:
        """The fast path: True when nothing sealed has changed."""
        if not self._namespaces_clean():
            return False
        fns = self.fns
        if any(map(is_not, map(_CODE, fns), self.codes)) \
                or any(map(is_not, map(_DEFAULTS, fns), self.defaults)) \
                or any(map(is_not, map(_KWDEFAULTS, self.kw_fns), self.kwdefaults)):
            return False
        try:
            if any(map(is_not, map(_CONTENTS, self.full_cells), self.full_contents)):
                return False
        except ValueError:  # a cell was emptied
            return False
        if any(map(_filled, self.empty_cells)):
            return False
        for items, kept in self._lists:
            if len(items) != len(kept) or any(map(is_not, items, kept)):
                return False
        for members, ids in self._sets:
            if len(members) != len(ids) or not ids.issuperset(map(id, members)):
                return False
        return True

    def changes(self) -> list[str]:
        found = []
        for label, owner, attrs, known in self.entries:
            now = vars(owner)
            for name, value in attrs.items():
                if name not in now:
                    found.append(f"{label}.{name} was deleted")
                elif now[name] is not value:
                    found.append(f"{label}.{name} was replaced")
            if known is not None:
                found.extend(f"{label}.{name} was added" for name in now if name not in known and name not in IGNORED)
        for label, fn, parts in self.functions:
            now = _function_parts(fn)
            if any(a is not b for a, b in zip(now[:3], parts[:3])) or len(now[3]) != len(parts[3]) \
                    or any(a is not b for a, b in zip(now[3], parts[3])):
                found.append(f"the code of {label} was changed")
        for label, value, contents in self.tables:
            now = _contents(value)
            if len(now) != len(contents) or any(a is not b for a, b in zip(now, contents)):
                found.append(f"the table {label} was changed")
        for name, module in self.modules.items():
            if sys.modules.get(name) is not module:
                found.append(f"sys.modules[{name!r}] was replaced")
        return found


_LOCK = threading.Lock()


def _owners() -> list[tuple[str, Any, bool, tuple | None]]:
    owners: list[tuple[str, Any, bool, tuple | None]] = []
    for name in ENGINE_MODULES:
        module = sys.modules.get(name)
        if module is None:
            continue
        owners.append((name, module, True, None))
        for value in list(vars(module).values()):
            if isinstance(value, type) and value.__module__ == name:
                owners.append((f"{name}.{value.__qualname__}", value, True, None))
    for name in TORCH_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            owners.append((name, module, False, None))
    for name, names in PARTLY.items():
        __import__(name)
        owners.append((name, sys.modules[name], False, names))
    for cls in _torch_classes():
        owners.append((f"{cls.__module__}.{cls.__qualname__}", cls, False, None))
    return owners


def seal() -> None:
    """Freeze the engine modules and take the snapshot; call once per worker, after the engine
    has installed its own wrappers and before any student code is imported."""
    with _LOCK:
        if _STATE["snapshot"] is not None:
            return
        # dynamo rebinds torch.manual_seed (and more) when first imported: let it, before the snapshot
        import torch._dynamo  # noqa: F401
        for name in ENGINE_MODULES:
            __import__(name)
        # the cache pickle and deepcopy write on a class the first time (a student's
        # copy.deepcopy of a model carries its recorder): filled in now, not later
        for label, owner, _, _ in _owners():
            if isinstance(owner, type) and not owner.__flags__ & _IMMUTABLE_TYPE:
                copyreg._slotnames(owner)  # type: ignore[attr-defined]  # private, no stub
        for name in ENGINE_MODULES:
            module = sys.modules[name]
            if type(module) is types.ModuleType:
                module.__class__ = _FrozenModule
        _STATE["snapshot"] = _Snapshot(_owners())
        _STATE["frozen"] = True



def sealed() -> bool:
    return _STATE["snapshot"] is not None and _STATE["frozen"] is True


def changes() -> list[str]:
    """What student code changed of the sealed engine since `seal()` (empty: nothing)."""
    snapshot = _STATE["snapshot"]
    if snapshot is None:
        return []
    if not ATTEMPTS and _STATE["frozen"] is True and snapshot.clean():
        return []
    found = [f"refused: {a}" for a in ATTEMPTS]
    if _STATE["frozen"] is not True:
        found.append("the seal itself was switched off")
    return found + (snapshot.changes() or ["the engine's state changed"])


__all__ = ["seal", "sealed", "changes", "Sealed", "TamperingError", "ENGINE_BUILTINS"]
