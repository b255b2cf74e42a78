"""Lazy modules (nn.LazyLinear, nn.LazyConv2d, ...) made ordinary before a check reads them.

A network built from lazy layers has no parameter shapes until its first forward pass; checks
read `state_dict()` and `num_params()` before any forward. A check that constructs a module
with the reserved argument `_input_shape=(N, C, ...)` gets it materialised here, once, right
after construction: one forward pass on zeros of that shape, in eval mode, without gradients
and without moving any random generator, so what the check does next sees the same module and
the same random streams as for an eager module.
"""

from __future__ import annotations

from grader.checks.integrity import ENGINE_BUILTINS as __builtins__  # type: ignore[no-redef]  # noqa: F401 - see integrity

from typing import Any, Sequence

import torch
from torch import nn
from torch.nn.parameter import UninitializedBuffer, UninitializedParameter

from grader.checks import nn_state


def is_lazy(module: nn.Module) -> bool:
    """Whether any parameter or buffer of `module` still waits for its first forward pass."""
    tensors = list(module.parameters()) + list(module.buffers())
    return any(isinstance(t, (UninitializedParameter, UninitializedBuffer)) for t in tensors)


def materialize(module: Any, input_shape: Sequence[int]) -> None:
    """Run one forward pass of zeros of `input_shape` through a lazy `module` (nothing to do for
    an eager one or a non-module), on the device its parameters were created on."""
    if not isinstance(module, nn.Module) or not is_lazy(module):
        return
    first = next(iter(list(module.parameters()) + list(module.buffers())), None)
    device = first.device if first is not None else torch.device("cpu")
    modes = {name: nn_state.training(m) is not False for name, m in nn_state.named_modules(module)}
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() and device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=devices), torch.no_grad():
            module.eval()  # no batch-norm statistics move, no dropout draws
            module(torch.zeros(tuple(int(s) for s in input_shape), device=device))
    finally:
        for name, m in nn_state.named_modules(module):
            if name in modes:
                m.train(modes[name])


__all__ = ["is_lazy", "materialize"]
