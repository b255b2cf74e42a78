"""Catching banned built-ins at run time, however the student reached them.

A TorchFunctionMode sees every torch function call by the function object actually called, so
`F.conv2d`, `torch.conv2d`, `getattr(F, "con" + "v2d")`, `nn.Conv2d(...)(x)` and
`torch.ops.aten.convolution` all arrive under the base name `conv2d` / `convolution`. A dispatch
mode underneath is the backstop for code that switches torch functions off.
"""

from __future__ import annotations

from typing import Any, Iterable

import torch
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
        return self

    def __exit__(self, *exc: Any) -> None:
        # Leave the mode stacks as they were even if the student pushed or popped modes.
        for mode in reversed(self._modes):
            try:
                mode.__exit__(None, None, None)
            except Exception:
                pass
        self._modes = []
