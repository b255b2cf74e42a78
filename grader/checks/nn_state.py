"""What an nn.Module holds, read from its own instance dicts: submodules, parameters, buffers and
the training flag.

Records of what a student's code did to a model are read here, not through the model's methods
or attributes: `module.training` is whatever a class's `training` property answers,
`nn.Module.named_modules(net)` asks each child for its own `named_modules`, and a child class can
answer anything. `nn.Module.__setattr__` and `train()` write these dicts, so they are the ground
truth the rest of torch works from.
"""

from __future__ import annotations

from grader.checks.integrity import ENGINE_BUILTINS as __builtins__  # type: ignore[no-redef]  # noqa: F401 - see integrity

from typing import Any, Iterator

_dict_items, _dict_get = dict.items, dict.get


def _own(module: Any, name: str) -> dict:
    value = _dict_get(vars(module), name)
    return value if isinstance(value, dict) else {}


def training(module: Any) -> bool | None:
    """The module's own training flag, None if it keeps none (a class that made it a property)."""
    value = _dict_get(vars(module), "training")
    return value if type(value) is bool else None


def named_modules(module: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted name, module) for `module` and every submodule, each once, in torch's order."""
    memo: set[int] = set()
    stack = [(prefix, module)]
    while stack:
        name, current = stack.pop()
        if id(current) in memo:
            continue
        memo.add(id(current))
        yield name, current
        children = [(f"{name}.{child_name}" if name else child_name, child)
                    for child_name, child in _dict_items(_own(current, "_modules")) if child is not None]
        stack.extend(reversed(children))


def _named_tensors(module: Any, slot: str) -> Iterator[tuple[str, Any]]:
    seen: set[int] = set()
    for prefix, current in named_modules(module):
        for name, tensor in _dict_items(_own(current, slot)):
            if tensor is None or id(tensor) in seen:
                continue
            seen.add(id(tensor))
            yield (f"{prefix}.{name}" if prefix else name), tensor


def named_parameters(module: Any) -> Iterator[tuple[str, Any]]:
    return _named_tensors(module, "_parameters")


def named_buffers(module: Any) -> Iterator[tuple[str, Any]]:
    return _named_tensors(module, "_buffers")


def parameters(module: Any) -> Iterator[Any]:
    return (p for _, p in named_parameters(module))


__all__ = ["training", "named_modules", "named_parameters", "named_buffers", "parameters"]
