"""Catching banned built-ins at run time, however the student reached them.

A TorchFunctionMode sees every torch function call by the function object actually called, so
`F.conv2d`, `torch.conv2d`, `getattr(F, "con" + "v2d")`, `nn.Conv2d(...)(x)` and
`torch.ops.aten.convolution` all arrive under the base name `conv2d` / `convolution`. A dispatch
mode underneath is the backstop for code that switches torch functions off; it sees aten ops, so
it catches conv and softmax but not a CPU dropout, which torch decomposes into bernoulli_ and mul
before any dispatch mode sees it. Hence the third layer: the ways to switch modes off
(`torch._C.DisableTorchFunction`, popping the mode stacks) are wrapped once per worker, before
the student's module is imported, and count as a forbidden call when the student's own code uses
them while a guard is active. torch's internals (dynamo, the modes' own __exit__) still may.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Iterable

import torch
import torch.overrides
import torch.utils._python_dispatch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode


class ForbiddenSignal(BaseException):
    """BaseException so that a student's `except Exception` cannot swallow it."""

    def __init__(self, name: str, shown: str) -> None:
        super().__init__(shown)
        self.name = name
        self.shown = shown


def base_name(func: Any) -> str:
    if isinstance(func, torch._ops.OpOverload):
        return func._schema.name.split("::")[-1]
    if isinstance(func, torch._ops.OpOverloadPacket):
        return func._qualified_op_name.split("::")[-1]
    return str(getattr(func, "__name__", ""))


def shown_name(func: Any) -> str:
    if isinstance(func, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
        return f"torch.ops.{str(func).split('.default')[0]}".replace("::", ".")
    module = getattr(func, "__module__", None) or "torch"
    qual = getattr(func, "__qualname__", None) or base_name(func)
    if "<locals>" in qual:  # a wrapper torch builds (F.max_pool2d is boolean_dispatch.<locals>.fn)
        qual = base_name(func) or qual
    qual = qual.replace("TensorBase.", "Tensor.").replace("_TensorBase.", "Tensor.")
    # torch.softmax and friends are methods of a C class; students know them as torch.<name>
    qual = qual.replace("_VariableFunctionsClass.", "")
    if module.startswith("torch._C"):
        module = "torch"
    return f"{module}.{qual}" if not qual.startswith("Tensor.") else f"torch.{qual}"


class _FunctionGuard(TorchFunctionMode):
    def __init__(self, guard: "Guard") -> None:
        super().__init__()
        self.guard = guard

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        self.guard.seen(func)
        return func(*args, **(kwargs or {}))


class _DispatchGuard(TorchDispatchMode):
    def __init__(self, guard: "Guard") -> None:
        super().__init__()
        self.guard = guard

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        self.guard.seen(func)
        return func(*args, **(kwargs or {}))


_ACTIVE: list["Guard"] = []  # guards with something forbidden, innermost last
# torch itself and this engine may switch modes; anything else calling them is the student's code
_TRUSTED = tuple(str(d) + "/" for d in (Path(torch.__file__).resolve().parent, Path(__file__).resolve().parents[1]))


def _called_by_student(depth: int) -> bool:
    filename = sys._getframe(depth + 1).f_code.co_filename
    return not (filename.startswith("<frozen") or str(Path(filename).resolve()).startswith(_TRUSTED))


def _escape(shown: str) -> None:
    if _ACTIVE:
        guard = _ACTIVE[-1]
        guard.violation = ForbiddenSignal("mode switch", f"{shown} (it hides torch calls from the checks)")
        raise guard.violation


def _wrap_function(owner: Any, name: str) -> None:
    original: Callable = getattr(owner, name)
    shown = f"{getattr(owner, '__name__', 'torch')}.{name}"

    def guarded(*args: Any, **kwargs: Any) -> Any:
        if _ACTIVE and _called_by_student(1):
            _escape(shown)
        return original(*args, **kwargs)

    guarded.__wrapped__ = original  # type: ignore[attr-defined]
    guarded.__name__ = name
    setattr(owner, name, guarded)


def _wrap_disable_torch_function() -> None:
    original = torch._C.DisableTorchFunction

    class DisableTorchFunction:
        __wrapped__ = original

        def __init__(self) -> None:
            self._inner = original()
            self._student = _called_by_student(1)

        def __enter__(self) -> Any:
            if _ACTIVE and self._student:
                _escape("torch._C.DisableTorchFunction")
            return self._inner.__enter__()

        def __exit__(self, *exc: Any) -> Any:
            return self._inner.__exit__(*exc)

    torch._C.DisableTorchFunction = DisableTorchFunction


_MODE_SWITCHES: tuple[tuple[Any, tuple[str, ...]], ...] = ((torch._C, ("_pop_torch_function_stack", "_pop_torch_dispatch_stack", "_unset_dispatch_mode")),
                  (torch.overrides, ("_pop_mode", "_pop_mode_temporarily")),
                  (torch.utils._python_dispatch, ("_pop_mode", "_pop_mode_temporarily", "_disable_current_modes")))


# torch functions written in plain Python that take no tensor at all, so that no mode ever sees
# them (torch.broadcast_shapes works on tuples). They are wrapped like the mode switches; a call
# counts as forbidden when the active guard bans the name.
_TENSORLESS: tuple[tuple[Any, tuple[str, ...]], ...] = ((torch, ("broadcast_shapes",)), (torch.functional, ("broadcast_shapes",)))


def _wrap_tensorless(owner: Any, name: str, wrapped: dict) -> None:
    original: Callable = getattr(owner, name)
    if id(original) in wrapped:  # the same function under another module's name
        setattr(owner, name, wrapped[id(original)])
        return

    def guarded(*args: Any, **kwargs: Any) -> Any:
        if _ACTIVE and name in _ACTIVE[-1].names:
            guard = _ACTIVE[-1]
            guard.violation = ForbiddenSignal(name, f"torch.{name}")
            raise guard.violation
        return original(*args, **kwargs)

    guarded.__wrapped__ = original  # type: ignore[attr-defined]
    guarded.__name__ = name
    guarded.__doc__ = original.__doc__
    wrapped[id(original)] = guarded
    setattr(owner, name, guarded)


def install_mode_switch_guards() -> None:
    """Wrap the mode switches; call before importing student code (once per process is enough)."""
    if hasattr(torch._C.DisableTorchFunction, "__wrapped__"):
        return
    _wrap_disable_torch_function()
    for owner, names in _MODE_SWITCHES:
        for name in names:
            if hasattr(owner, name):
                _wrap_function(owner, name)
    wrapped: dict = {}
    for owner, names in _TENSORLESS:
        for name in names:
            if hasattr(owner, name):
                _wrap_tensorless(owner, name, wrapped)


class Guard:
    """Context manager: raises ForbiddenSignal at the first banned call and remembers it."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(n.strip().lstrip(".") for n in names if n.strip())
        self.violation: ForbiddenSignal | None = None
        self._modes: list[Any] = []

    def seen(self, func: Any) -> None:
        if self.violation is not None:
            raise self.violation
        name = base_name(func)
        if name in self.names:
            self.violation = ForbiddenSignal(name, shown_name(func))
            raise self.violation

    def __enter__(self) -> "Guard":
        if self.names:
            self._modes = [_DispatchGuard(self), _FunctionGuard(self)]
            for mode in self._modes:
                mode.__enter__()
            _ACTIVE.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        # Leave the mode stacks as they were even if the student pushed or popped modes.
        for mode in reversed(self._modes):
            try:
                mode.__exit__(None, None, None)
            except Exception:  # noqa: BLE001 - a mode the student broke must not keep the others
                pass
        self._modes = []
