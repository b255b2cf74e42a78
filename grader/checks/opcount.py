"""Counting the tensor operations a student's call ran, by aten op name and dtype.

Some contracts are about *what* the code does rather than what it returns: a timing function
must run one warm-up product, then `repeats` timed ones, on float32 matrices. Timings on a
shared CPU are too noisy to tell one product from eleven, and a missing GPU hides the rest; the
count is exact on any machine. A dispatch mode sees aten ops after torch has resolved them, so
`x @ x`, `torch.matmul`, `torch.mm` and `Tensor.mm` all arrive as `mm`.
"""

from __future__ import annotations

from grader.checks.integrity import ENGINE_BUILTINS as __builtins__  # type: ignore[no-redef]  # noqa: F401 - see integrity

from typing import Any, Iterable

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from grader.checks.forbid import base_name


class OpCounter(TorchDispatchMode):
    """Within `with OpCounter(names):`, `counts[name][dtype]` is how many times an aten op of that
    base name ran with a first tensor argument of that dtype."""

    def __init__(self, names: Iterable[str]) -> None:
        super().__init__()
        self.names = frozenset(str(n) for n in names)
        self.counts: dict[str, dict[str, int]] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        name = base_name(func)
        if name in self.names:
            first = next((a for a in args if isinstance(a, torch.Tensor)), None)
            dtype = str(first.dtype).replace("torch.", "") if first is not None else ""
            per_dtype = self.counts.setdefault(name, {})
            per_dtype[dtype] = per_dtype.get(dtype, 0) + 1
        return func(*args, **(kwargs or {}))


def total(counts: Any, names: Iterable[str] | None = None) -> int:
    """All counted ops (of `names`, when given), over every dtype."""
    if type(counts) is not dict:
        return 0
    return sum(n for name, per in counts.items() if names is None or name in names
               for n in per.values())


__all__ = ["OpCounter", "total"]
