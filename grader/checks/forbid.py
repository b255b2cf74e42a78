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

from grader.checks.integrity import Sealed


# Op families: a ban on any member bans all of them, so that an aten overload or a backend kernel
# that computes the same thing (thnn_conv2d for conv2d, _safe_softmax for softmax) is no way
# around it. Members are base names (what `base_name` returns for a function or an aten op).
FAMILIES: dict[str, frozenset[str]] = {name: frozenset(members) for name, members in {
    "convolution": (
        "conv1d", "conv2d", "conv3d", "convolution", "_convolution", "_convolution_mode", "convolution_overrideable",
        "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv_tbc", "cudnn_convolution",
        "cudnn_convolution_transpose", "cudnn_convolution_relu", "cudnn_convolution_add_relu", "miopen_convolution",
        "miopen_convolution_transpose", "miopen_depthwise_convolution", "mkldnn_convolution", "thnn_conv2d",
        "_slow_conv2d_forward", "_slow_conv2d_backward", "slow_conv3d", "slow_conv3d_forward", "slow_conv_dilated2d",
        "slow_conv_dilated3d", "slow_conv_transpose2d", "slow_conv_transpose3d", "_conv_depthwise2d",
        "conv_depthwise3d", "_nnpack_spatial_convolution", "_mps_convolution", "_mps_convolution_transpose",
        "convolution_backward", "convolution_backward_overrideable", "conv2d_input", "conv2d_weight",
        "conv1d_input", "conv1d_weight", "conv3d_input", "conv3d_weight"),
    "softmax": ("softmax", "_softmax", "_safe_softmax", "special_softmax", "_masked_softmax", "_sparse_softmax",
                "softmin", "_softmax_backward_data", "scaled_dot_product_attention",
                "_scaled_dot_product_attention_math", "_scaled_dot_product_flash_attention",
                "_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_efficient_attention",
                "_scaled_dot_product_cudnn_attention", "_fused_sdp_choice", "multi_head_attention_forward"),
    "log_softmax": ("log_softmax", "_log_softmax", "special_log_softmax", "_sparse_log_softmax",
                    "_log_softmax_backward_data"),
    # the last column of logcumsumexp is the row's log-sum-exp (ch3 bans it with logsumexp)
    "logsumexp": ("logsumexp", "special_logsumexp", "logcumsumexp", "_logcumsumexp"),
    "nll_loss": ("nll_loss", "nll_loss_nd", "nll_loss_forward", "nll_loss2d", "nll_loss2d_forward",
                 "cross_entropy", "cross_entropy_loss"),
    "dropout": ("dropout", "dropout_", "native_dropout", "feature_dropout", "feature_dropout_", "alpha_dropout",
                "alpha_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_", "dropout1d", "dropout2d",
                "dropout3d", "_fused_dropout", "_masked_scale", "native_dropout_backward"),
    "norm": ("norm", "linalg_vector_norm", "linalg_norm", "frobenius_norm", "linalg_matrix_norm", "native_norm",
             "nuclear_norm", "_foreach_norm", "norm_except_dim", "_weight_norm", "_weight_norm_interface", "dist"),
    "pooling": ("max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
                "max_pool3d_with_indices", "mkldnn_max_pool2d", "quantized_max_pool2d", "avg_pool1d", "avg_pool2d",
                "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "_adaptive_avg_pool2d",
                "mkldnn_adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "lp_pool1d",
                "lp_pool2d", "fractional_max_pool2d"),
    "cdist": ("cdist", "_cdist_forward", "pdist", "_pdist_forward", "pairwise_distance", "_euclidean_dist"),
    "matmul": ("mv", "matmul", "mm", "dot", "einsum", "addmv", "tensordot", "inner", "linear", "bmm", "vdot",
               "addmm", "linalg_multi_dot", "linalg_vecdot", "chain_matmul", "_addmm_activation", "baddbmm",
               "addbmm"),
}.items()}
# which names pull a family in: the family's core members (a ban on "linear" alone, as in
# MLPScratch, must not ban matmul)
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "convolution": ("conv1d", "conv2d", "conv3d", "convolution", "_convolution"),
    "softmax": ("softmax", "_softmax"), "log_softmax": ("log_softmax", "_log_softmax"),
    "logsumexp": ("logsumexp",), "nll_loss": ("nll_loss", "cross_entropy"),
    "dropout": ("dropout", "native_dropout"), "norm": ("norm", "linalg_vector_norm"),
    "pooling": ("max_pool2d", "avg_pool2d"), "cdist": ("cdist", "pdist"), "matmul": ("mv", "matmul"),
}


def expand_families(names: Iterable[str]) -> frozenset[str]:
    """The names themselves plus every member of each family one of them triggers."""
    out = set(names)
    for family, triggers in _TRIGGERS.items():
        if out.intersection(triggers):
            out |= FAMILIES[family]
    return frozenset(out)


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


class _FunctionGuard(TorchFunctionMode, metaclass=Sealed):
    def __init__(self, guard: "Guard") -> None:
        super().__init__()
        self.guard = guard

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        self.guard.seen(func)
        return func(*args, **(kwargs or {}))


class _DispatchGuard(TorchDispatchMode, metaclass=Sealed):
    def __init__(self, guard: "Guard") -> None:
        super().__init__()
        self.guard = guard

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        self.guard.seen(func)
        return func(*args, **(kwargs or {}))


class _FollowFunctions(TorchFunctionMode, metaclass=Sealed):
    """Pushed for good in every thread the student's code starts: whatever guard is active in
    the worker (on any thread) sees that thread's torch calls too."""

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        if _ACTIVE:
            _ACTIVE[-1].seen(func)
        return func(*args, **(kwargs or {}))


class _FollowDispatch(TorchDispatchMode, metaclass=Sealed):
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        if _ACTIVE:
            _ACTIVE[-1].seen(func)
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

    guarded.__name__ = name  # no __wrapped__: the original must not be one attribute away
    setattr(owner, name, guarded)


def _wrap_disable_torch_function() -> None:
    original = torch._C.DisableTorchFunction

    class DisableTorchFunction(metaclass=Sealed):
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

    guarded.__name__ = name
    guarded.__doc__ = original.__doc__
    wrapped[id(original)] = guarded
    setattr(owner, name, guarded)


_INSTALLED: list[bool] = []


def _wrap_thread_start() -> None:
    """Every new thread runs under the follower modes (torch's mode stacks are per thread)."""
    import _thread
    import threading
    original = _thread.start_new_thread

    def start_new_thread(function: Callable, args: tuple, kwargs: dict | None = None) -> int:
        def run(*a: Any, **k: Any) -> Any:
            _FollowDispatch().__enter__()
            _FollowFunctions().__enter__()
            return function(*a, **k)
        return original(run, args, kwargs or {})

    _thread.start_new_thread = start_new_thread
    _thread.start_new = start_new_thread
    threading._start_new_thread = start_new_thread  # type: ignore[attr-defined]


# TorchScript and compiled code run kernels the modes never see (a fused softmax): in an exercise
# with bans, the student's own code may not make any. torch's internals still may.
STRICT: list[Any] = []   # [owner] while the executor `owner`, whose exercise bans something, answers
_COMPILERS = ((torch.jit, "script"), (torch.jit, "trace"), (torch.jit, "trace_module"), (torch.jit, "load"),
              (torch.jit, "freeze"), (torch.jit, "optimize_for_inference"), (torch, "compile"))


def _wrap_compiler(owner: Any, name: str) -> None:
    original: Callable = getattr(owner, name)
    shown = f"torch.{'jit.' if owner is torch.jit else ''}{name}"

    def guarded(*args: Any, **kwargs: Any) -> Any:
        if STRICT and _called_by_student(1):
            signal = ForbiddenSignal(name, f"{shown} (compiled code hides torch calls from the checks)")
            if _ACTIVE:
                _ACTIVE[-1].violation = signal
            raise signal
        return original(*args, **kwargs)

    guarded.__name__ = name
    guarded.__doc__ = original.__doc__
    setattr(owner, name, guarded)


def set_strict(owner: Any, strict: bool) -> None:
    """Called by the executor before the student's import and before each request."""
    STRICT[:] = [owner] if strict else []


def strict_for(owner: Any) -> bool:
    return bool(STRICT) and STRICT[0] is owner


def install_mode_switch_guards() -> None:
    """Wrap the mode switches, thread starts and TorchScript/compile entry points; call before
    importing student code (once per process is enough)."""
    if _INSTALLED:
        return
    _INSTALLED.append(True)
    _wrap_disable_torch_function()
    _wrap_thread_start()
    for owner, name in _COMPILERS:
        if hasattr(owner, name):
            _wrap_compiler(owner, name)
    for owner, names in _MODE_SWITCHES:
        for name in names:
            if hasattr(owner, name):
                _wrap_function(owner, name)
    wrapped: dict = {}
    for owner, names in _TENSORLESS:
        for name in names:
            if hasattr(owner, name):
                _wrap_tensorless(owner, name, wrapped)


class Guard(metaclass=Sealed):
    """Context manager: raises ForbiddenSignal at the first banned call and remembers it."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = expand_families(n.strip().lstrip(".") for n in names if n.strip())
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
