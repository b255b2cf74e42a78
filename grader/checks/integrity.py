"""The engine's seal in a worker: what student code must not change, frozen and verified.

A worker imports the student's module into the same interpreter as the engine code that guards
bans, builds and records objects and encodes replies, so student code can reach that code and
rewrite it (`Guard.seen = lambda *a: None`, `torch.nn.Module.named_modules = ...`,
`Guard.seen.__code__ = ...`). `seal()` runs before the student's import:

- the engine modules get a module class that refuses attribute rebinding, and the engine's own
  classes (declared with `metaclass=Sealed`) refuse class-level patching; a refused attempt is
  remembered even if the student's code catches the error;
- a snapshot keeps, by identity, every attribute of the engine modules and classes, of the torch
  modules and classes the engine relies on (and of `builtins`), and for each Python function
  found there its code, defaults and closure cells.

`changes()` compares the present with the snapshot; the executor calls it before and after every
request and reports any difference as `tampering`. This is detection inside the student's own
interpreter: code that rewrites memory (ctypes) or reaches the snapshot itself can still defeat
it, which is why the judge's review of the source holds those tools for a person (grader.grading.review).
"""

from __future__ import annotations

import copyreg
import sys
import threading
import types
from itertools import repeat
from operator import attrgetter, is_not
from typing import Any, Iterable

ENGINE_MODULES = ("grader.checks.errors", "grader.checks.codec", "grader.checks.specs", "grader.checks.forbid",
                  "grader.checks.probes", "grader.checks.lazy", "grader.checks.opcount", "grader.checks.executor",
                  "grader.checks.integrity")
# torch modules whose attributes the engine calls (names added later, e.g. lazy submodules, are
# fine), and msgpack, which writes the reply
TORCH_MODULES = ("msgpack", "torch", "torch.nn.functional", "torch.nn.modules.module", "torch.overrides",
                 "torch.utils._python_dispatch", "torch.serialization", "torch.autograd", "torch.autograd.grad_mode",
                 "torch.random", "torch.jit", "torch._C")
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
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset
    from torch.overrides import TorchFunctionMode
    from torch.utils._python_dispatch import TorchDispatchMode
    return [torch.Tensor, torch._C.TensorBase, nn.Module, nn.Sequential, nn.Linear, nn.Conv2d, nn.Flatten,
            nn.ReLU, nn.MaxPool2d, nn.CrossEntropyLoss, nn.modules.dropout._DropoutNd, nn.Dropout,
            torch.optim.Optimizer, torch.optim.SGD, DataLoader, TensorDataset, TorchFunctionMode,
            TorchDispatchMode, torch.Generator, threading.Thread, types.ModuleType, type]


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
FULL_CHECK_SHARE = 0.125     # requests after which the whole snapshot is verified, drawn at random
_CODE, _DEFAULTS, _KWDEFAULTS = attrgetter("__code__"), attrgetter("__defaults__"), attrgetter("__kwdefaults__")
_CONTENTS = attrgetter("cell_contents")


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True
_PLAIN = (bool, int, float, complex, str, bytes, type(None))
MUTABLE = ("_ACTIVE", "STRICT", "ATTEMPTS", "_STATE", "_INSTALLED")  # engine state that changes by design


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


def _every_request(label: str, owner: Any, strict: bool) -> bool:
    """What is verified after every request: the engine's own modules and classes, the builtins
    it uses and the torch classes it calls through (~0.1 ms). The torch modules' own namespaces
    (torch, torch._C, F: thousands of names) and immutable C types are verified in the full
    checks: after the import, on a random share of requests (FULL_CHECK_SHARE) and at the end of
    the exercise."""
    if strict or label in PARTLY:
        return True
    return isinstance(owner, type) and not owner.__flags__ & _IMMUTABLE_TYPE


class _Tier:
    """Part of a snapshot laid out for clean(): one (dict, keys, values) per owner and flat
    tuples of function parts, so the comparisons run in map(), not in a Python loop."""

    def __init__(self, entries: list[tuple[str, Any, dict, bool]], functions: list[tuple[str, Any, tuple]]) -> None:
        self.owner_values = [(vars(owner), tuple(attrs), tuple(attrs.values())) for _, owner, attrs, _ in entries]
        self.fns = tuple(fn for _, fn, _ in functions)
        self.codes = tuple(parts[0] for _, _, parts in functions)
        self.defaults = tuple(parts[1] for _, _, parts in functions)
        self.kwdefaults = tuple(parts[2] for _, _, parts in functions)
        # a function's closure tuple cannot be rebound, only its cells' contents
        cells = [(cell, value) for _, fn, parts in functions for cell, value in zip(fn.__closure__ or (), parts[3])]
        self.full_cells = tuple(cell for cell, _ in cells if _filled(cell))
        self.full_contents = tuple(value for cell, value in cells if _filled(cell))
        self.empty_cells = tuple(cell for cell, _ in cells if not _filled(cell))

    def clean(self) -> bool:
        for d, keys, values in self.owner_values:
            if any(map(is_not, map(d.get, keys, repeat(_MISSING)), values)):
                return False
        fns = self.fns
        if any(map(is_not, map(_CODE, fns), self.codes)) \
                or any(map(is_not, map(_DEFAULTS, fns), self.defaults)) \
                or any(map(is_not, map(_KWDEFAULTS, fns), self.kwdefaults)):
            return False
        try:
            if any(map(is_not, map(_CONTENTS, self.full_cells), self.full_contents)):
                return False
        except ValueError:  # a cell was emptied
            return False
        return not any(map(_filled, self.empty_cells))


class _Snapshot:
    """Every attribute of the sealed owners, by identity (the snapshot keeps the objects alive,
    so an id cannot be reused by a look-alike)."""

    def __init__(self, owners: Iterable[tuple[str, Any, bool, tuple | None]]) -> None:
        self.entries: list[tuple[str, Any, dict, bool]] = []
        self.functions: list[tuple[str, Any, tuple]] = []
        every: list[bool] = []        # per entry: verified after every request (else in a full check)
        fn_every: list[bool] = []
        seen: set[int] = set()
        for label, owner, strict, names in owners:
            each = _every_request(label, owner, strict)
            skip = VOLATILE.get(label, ())
            # torch keeps state in module-level flags (_is_in_torch_dispatch_mode): outside the
            # engine only what can be called or looked into is sealed, not plain values
            attrs = {k: v for k, v in vars(owner).items()
                     if (names is None or k in names) and k not in skip and k not in IGNORED
                     and (strict or not isinstance(v, _PLAIN))}
            self.entries.append((label, owner, attrs, strict))
            every.append(each)
            for name, value in attrs.items():
                fn = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
                if isinstance(fn, types.FunctionType) and id(fn) not in seen:
                    seen.add(id(fn))
                    self.functions.append((f"{label}.{name}", fn, _function_parts(fn)))
                    fn_every.append(each)
        # the engine's own tables (FAMILIES, PROBES, FUNCTIONS...): their contents, by identity
        # (each once; not __builtins__, whose names the engine uses are sealed through PARTLY)
        tables: dict[int, tuple[str, Any, tuple]] = {}
        for label, owner, strict, _ in owners:
            if strict and isinstance(owner, types.ModuleType):
                for name, value in vars(owner).items():
                    if type(value) in (dict, list, set) and name not in MUTABLE and name != "__builtins__":
                        tables.setdefault(id(value), (f"{label}.{name}", value, _contents(value)))
        self.tables = list(tables.values())
        self.modules = {name: sys.modules.get(name) for name in ENGINE_MODULES + TORCH_MODULES + tuple(PARTLY)}
        self._sizes = [(vars(owner), len(attrs)) for _, owner, attrs, strict in self.entries if strict]
        self._tiers = [_Tier([e for e, f in zip(self.entries, every) if f == tier],
                             [fn for fn, f in zip(self.functions, fn_every) if f == tier])
                       for tier in (True, False)]
        self._prepare_tables()

    def _prepare_tables(self) -> None:
        self._dict_tables = [(value, len(value), tuple(value), tuple(value.values()))
                             for _, value, _ in self.tables if type(value) is dict]
        self._list_tables = [(value, tuple(value)) for _, value, _ in self.tables if type(value) is list]
        # the members are kept (in self.tables) so that no id is reused by a look-alike
        self._set_tables = [(value, frozenset(map(id, value))) for _, value, _ in self.tables if type(value) is set]

    def clean(self, full: bool = True) -> bool:
        """The fast path: True when nothing sealed has changed. full=False looks only at what is
        verified after every request (the engine, the torch classes it calls, builtins)."""
        if not all(tier.clean() for tier in (self._tiers if full else self._tiers[:1])):
            return False
        for table, size, keys, values in self._dict_tables:
            if len(table) != size or any(map(is_not, map(table.get, keys, repeat(_MISSING)), values)):
                return False
        for items, kept in self._list_tables:
            if len(items) != len(kept) or any(map(is_not, items, kept)):
                return False
        for members, ids in self._set_tables:
            if len(members) != len(ids) or not ids.issuperset(map(id, members)):
                return False
        if any(sys.modules.get(name) is not module for name, module in self.modules.items()):
            return False
        return not any(len(d) - sum(1 for n in IGNORED if n in d) > size for d, size in self._sizes)

    def changes(self) -> list[str]:
        found = []
        for label, owner, attrs, strict in self.entries:
            now = vars(owner)
            for name, value in attrs.items():
                if name not in now:
                    found.append(f"{label}.{name} was deleted")
                elif now[name] is not value:
                    found.append(f"{label}.{name} was replaced")
            if strict:
                found.extend(f"{label}.{name} was added" for name in now
                             if name not in attrs and name not in IGNORED)
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
            module = sys.modules[name]
            for value in list(vars(module).values()):
                if isinstance(value, type) and value.__module__ == name:
                    # the cache pickle and deepcopy write on a class the first time (a student's
                    # copy.deepcopy of a model carries its recorder): filled in now, not later
                    copyreg._slotnames(value)  # type: ignore[attr-defined]  # private, no stub
            if type(module) is types.ModuleType:
                module.__class__ = _FrozenModule
        _STATE["snapshot"] = _Snapshot(_owners())
        _STATE["frozen"] = True


def sealed() -> bool:
    return _STATE["snapshot"] is not None and _STATE["frozen"] is True


def changes(full: bool = True) -> list[str]:
    """What student code changed of the sealed engine since `seal()` (empty: nothing).
    full=False verifies only what is verified after every request (see _every_request); a
    change found is always described from the whole snapshot."""
    snapshot = _STATE["snapshot"]
    if snapshot is None:
        return []
    if not ATTEMPTS and _STATE["frozen"] is True and snapshot.clean(full):
        return []
    found = [f"refused: {a}" for a in ATTEMPTS]
    if _STATE["frozen"] is not True:
        found.append("the seal itself was switched off")
    return found + (snapshot.changes() or ["the engine's state changed"])


__all__ = ["seal", "sealed", "changes", "Sealed", "TamperingError"]
