"""Catching banned built-ins at run time, however the student reached them.

What this is for: telling an honest student at once that a call uses a built-in the exercise
bans, and making a bypass cost effort. It is not a guarantee: it runs in the interpreter the
student's code controls, so the judge's review of the source is what a score rests on.

A TorchFunctionMode sees every torch function call by the function object actually called, so
`F.conv2d`, `torch.conv2d`, `getattr(F, "con" + "v2d")`, `nn.Conv2d(...)(x)` and
`torch.ops.aten.convolution` all arrive under the base name `conv2d` / `convolution`. It stays
active inside the call it handles (torch's `redispatch_function` pattern), so torch functions a
callback, a hook or a `handle_torch_function` runs inside it are seen too. A dispatch mode
underneath is the backstop for what reaches aten without a torch function; it sees aten ops, so
it catches conv and softmax but not a CPU dropout, which torch decomposes into bernoulli_ and
mul before any dispatch mode sees it. In a call with bans, an operator outside the namespaces
honest torch code reaches (`aten`, `prims`, and `profiler` for record_function) is refused
whatever it computes: `torch.ops.quantized.conv2d`, a `torch.library` custom op whose Python
kernel calls the banned function.

Around them: the ways to switch modes off or dispatch below them (`DisableTorchFunction`,
popping the mode stacks, excluding the Python dispatch key, redispatching an op to a backend)
are wrapped once per worker, under every name torch binds them to, before the student's module
is imported; in an exercise with bans the student's code may not use them at all, nor register
kernels for aten or prims ops, nor compile (TorchScript, torch.compile). Torch's own code still
may: a caller is recognised as torch's or the engine's by its code object, recorded before any
student code ran, and by naming the switch itself (a torch helper that calls back a function it
was handed is not trusted with a switch the student handed it). Between requests and on guard
entry the mode stacks are put back to exactly the engine's, so a mode left behind (at import, in
a call) never sees a guarded call or the encoder's work.
"""

from __future__ import annotations

from grader.checks.integrity import ENGINE_BUILTINS as __builtins__  # type: ignore[no-redef]  # noqa: F401 - see integrity

import sys
import types
from typing import Any, Callable, Iterable

import torch
import torch._ops
import torch.overrides
import torch.utils._device
import torch.utils._python_dispatch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from grader.checks.integrity import Sealed, sealed


# Op families: a ban on any member bans all of them, so that an aten overload, a backend kernel
# or another public name that computes the same thing (thnn_conv2d for conv2d, _safe_softmax or
# attention for softmax, cdist for a norm, a cumulative sum for a sum) is no way around it.
# Members are base names (what `base_name` returns for a function or an aten op).
_CONVOLUTION = (
    "conv1d", "conv2d", "conv3d", "convolution", "_convolution", "_convolution_mode", "convolution_overrideable",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv_tbc", "cudnn_convolution",
    "cudnn_convolution_transpose", "cudnn_convolution_relu", "cudnn_convolution_add_relu", "miopen_convolution",
    "miopen_convolution_transpose", "miopen_depthwise_convolution", "mkldnn_convolution", "thnn_conv2d",
    "_slow_conv2d_forward", "_slow_conv2d_backward", "slow_conv3d", "slow_conv3d_forward", "slow_conv_dilated2d",
    "slow_conv_dilated3d", "slow_conv_transpose2d", "slow_conv_transpose3d", "_conv_depthwise2d",
    "conv_depthwise3d", "_nnpack_spatial_convolution", "_mps_convolution", "_mps_convolution_transpose",
    "convolution_backward", "convolution_backward_overrideable", "conv2d_input", "conv2d_weight",
    "conv1d_input", "conv1d_weight", "conv3d_input", "conv3d_weight")
_DISTANCE = ("cdist", "_cdist_forward", "pdist", "_pdist_forward", "pairwise_distance", "_euclidean_dist")
FAMILIES: dict[str, frozenset[str]] = {name: frozenset(members) for name, members in {
    "convolution": _CONVOLUTION,
    # attention and the transformer fast paths return a softmax's rows as a by-product
    "softmax": ("softmax", "_softmax", "_safe_softmax", "special_softmax", "_masked_softmax", "_sparse_softmax",
                "softmin", "_softmax_backward_data", "_nested_tensor_softmax_with_shape",
                "scaled_dot_product_attention", "_scaled_dot_product_attention_math",
                "_scaled_dot_product_attention_math_for_mps", "_scaled_dot_product_flash_attention",
                "_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_efficient_attention",
                "_scaled_dot_product_cudnn_attention", "_scaled_dot_product_fused_attention_overrideable",
                "_fused_sdp_choice", "_flash_attention_forward", "_flash_attention_forward_no_dropout_inplace",
                "_efficient_attention_forward", "_cudnn_attention_forward", "_triton_scaled_dot_attention",
                "multi_head_attention_forward", "_native_multi_head_attention", "_triton_multi_head_attention",
                "_transformer_encoder_layer_fwd"),
    "log_softmax": ("log_softmax", "_log_softmax", "special_log_softmax", "_sparse_log_softmax",
                    "_log_softmax_backward_data"),
    # the last column of logcumsumexp is the row's log-sum-exp (ch3 bans it with logsumexp)
    "logsumexp": ("logsumexp", "special_logsumexp", "logcumsumexp", "_logcumsumexp"),
    "nll_loss": ("nll_loss", "nll_loss_nd", "nll_loss_forward", "nll_loss2d", "nll_loss2d_forward",
                 "cross_entropy", "cross_entropy_loss"),
    "dropout": ("dropout", "dropout_", "native_dropout", "feature_dropout", "feature_dropout_", "alpha_dropout",
                "alpha_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_", "dropout1d", "dropout2d",
                "dropout3d", "_fused_dropout", "_masked_scale", "native_dropout_backward"),
    # a distance to zero, a sum of powers and l1_loss against zeros are norms under other names
    "norm": ("norm", "linalg_vector_norm", "linalg_norm", "frobenius_norm", "linalg_matrix_norm", "native_norm",
             "nuclear_norm", "_foreach_norm", "norm_except_dim", "_weight_norm", "_weight_norm_interface", "dist",
             "renorm", "renorm_", "embedding_renorm", "embedding_renorm_", "linalg__powsum", "rms_norm",
             "_fused_rms_norm", "l1_loss") + _DISTANCE,
    "pooling": ("max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
                "max_pool3d_with_indices", "mkldnn_max_pool2d", "quantized_max_pool2d", "avg_pool1d", "avg_pool2d",
                "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "_adaptive_avg_pool2d",
                "mkldnn_adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "lp_pool1d",
                "lp_pool2d", "fractional_max_pool2d"),
    "cdist": _DISTANCE,
    # every kernel that multiplies matrices, and a convolution whose kernel spans the input
    "matmul": ("mv", "matmul", "mm", "dot", "einsum", "addmv", "tensordot", "inner", "linear", "bmm", "vdot",
               "addmm", "linalg_multi_dot", "linalg_vecdot", "linalg_matmul", "chain_matmul", "_addmm_activation",
               "baddbmm", "addbmm", "bilinear", "_trilinear", "_compute_linear_combination", "mkldnn_linear",
               "_mixed_dtypes_linear", "_int_mm", "_scaled_mm", "_scaled_mm_v2", "_grouped_mm",
               "_scaled_grouped_mm", "_scaled_grouped_mm_v2", "_weight_int4pack_mm",
               "_weight_int4pack_mm_for_cpu", "_weight_int4pack_mm_with_scales_and_zeros",
               "_weight_int8pack_mm", "_dyn_quant_matmul_4bit", "fbgemm_linear_fp16_weight",
               "fbgemm_linear_fp16_weight_fp32_activation", "fbgemm_linear_int8_weight",
               "fbgemm_linear_int8_weight_fp32_activation", "hspmm", "smm", "sspaddmm", "_sparse_mm",
               "_sparse_addmm", "sparse_sampled_addmm", "_sparse_sparse_matmul", "_sparse_semi_structured_mm",
               "_sparse_semi_structured_addmm", "_sparse_semi_structured_linear", "_cslt_sparse_mm")
              + _CONVOLUTION,
    # a sum under other names: the last entry of a cumulative sum, the mean beside a variance,
    # a scatter or bincount into one slot, an average pool over everything
    "sum": ("sum", "nansum", "mean", "nanmean", "cumsum", "cumsum_", "sum_to_size", "std_mean", "var_mean",
            "trace", "bincount", "scatter_add", "scatter_add_", "scatter_reduce", "scatter_reduce_", "index_add",
            "index_add_", "index_reduce", "index_reduce_", "segment_reduce", "embedding_bag", "_embedding_bag",
            "_embedding_bag_forward_only", "trapz", "trapezoid", "cumulative_trapezoid", "_sparse_sum",
            "_sparse_csr_sum", "linalg__powsum", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
            "adaptive_avg_pool2d", "_adaptive_avg_pool2d", "adaptive_avg_pool3d", "_adaptive_avg_pool3d",
            "mkldnn_adaptive_avg_pool2d"),
}.items()}
# which names pull a family in: the family's core members (a ban on "linear" alone, as in
# MLPScratch, must not ban matmul; a ban on cdist, as in pairwise_distances, must not ban norm)
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "convolution": ("conv1d", "conv2d", "conv3d", "convolution", "_convolution"),
    "softmax": ("softmax", "_softmax"), "log_softmax": ("log_softmax", "_log_softmax"),
    "logsumexp": ("logsumexp",), "nll_loss": ("nll_loss", "cross_entropy"),
    "dropout": ("dropout", "native_dropout"), "norm": ("norm", "linalg_vector_norm"),
    "pooling": ("max_pool2d", "avg_pool2d"), "cdist": ("cdist", "pdist"), "matmul": ("mv", "matmul"),
    "sum": ("sum", "mean", "nansum", "nanmean"),
}
# A function whose torch reductions are banned may not hand its tensors to numpy either
# (np.mean, np.linalg.norm, np.median would compute what it may not): these names pull in the
# conversions, which are then refused like a banned call.
_REDUCTIONS = frozenset(("sum", "mean", "nansum", "nanmean", "norm", "linalg_vector_norm", "std", "var", "std_mean",
                         "var_mean", "median", "nanmedian", "quantile", "nanquantile", "prod"))
_TO_NUMPY = frozenset(("numpy", "__array__", "__dlpack__", "to_dlpack"))
# Operator namespaces honest torch code reaches inside a call (profiler: record_function, which
# DataLoader and optimizers use). Any other namespace (quantized, mkldnn, onednn, torchvision, a
# student's own custom op) is refused in a call with bans.
NAMESPACES = frozenset(("aten", "prims", "profiler"))


def expand_families(names: Iterable[str]) -> frozenset[str]:
    """The names themselves plus every member of each family one of them triggers, plus the
    numpy conversions where a reduction is banned."""
    out = set(names)
    for family, triggers in _TRIGGERS.items():
        if out.intersection(triggers):
            out |= FAMILIES[family]
    if out & _REDUCTIONS:
        out |= _TO_NUMPY
    return frozenset(out)


class ForbiddenSignal(BaseException):
    """BaseException so that a student's `except Exception` cannot swallow it."""

    def __init__(self, name: str, shown: str) -> None:
        super().__init__(shown)
        self.name = name
        self.shown = shown


# ------------------------------------------------------------------ bound before any student code
# Everything the guard calls while the student's code runs is bound here, at the engine's import:
# a torch module, torch._ops or sys rebound (even for the length of one call) changes nothing the
# guard does. (The builtins the engine uses are its own copy: grader.checks.integrity.)
_getframe = sys._getframe
_OVERLOAD, _PACKET = torch._ops.OpOverload, torch._ops.OpOverloadPacket
_TENSOR = torch.Tensor
_DISABLED_FUNCTION_IMPL = torch._C._disabled_torch_function_impl
_FUNCTION_TYPES = (types.FunctionType, types.MethodType)
_C = torch._C
_tf_len, _td_len = _C._len_torch_function_stack, _C._len_torch_dispatch_stack
_tf_push, _tf_pop, _pop_dispatch = _C._push_on_torch_function_stack, _C._pop_torch_function_stack, _C._pop_torch_dispatch_stack
_tf_at, _td_at = _C._get_function_stack_at, _C._get_dispatch_stack_at
_tf_state, _set_tf_state = _C._get_torch_function_state, _C._set_torch_function_state  # type: ignore[attr-defined]
_TF_ENABLED = _C._TorchFunctionState.ENABLED  # type: ignore[attr-defined]
_skip_one_hop = _C._skip_one_hop_torch_function
_NO_FUNCTION_MODES = _C.DisableTorchFunction
_INFRA_KEYS = tuple(_C._TorchDispatchModeKey.__members__.values())
_get_infra, _unset_infra = _C._get_dispatch_mode, _C._unset_dispatch_mode
_include_set, _exclude_set = _C._dispatch_tls_local_include_set, _C._dispatch_tls_local_exclude_set
_set_included, _set_excluded = _C._dispatch_tls_set_dispatch_key_included, _C._dispatch_tls_set_dispatch_key_excluded
_DISPATCH_KEYS = tuple(_C.DispatchKey.__members__.values())
# the thread-local dispatch key sets as the engine runs: what the main thread returns to
_BASE_KEYS = (_include_set().raw_repr(), _exclude_set().raw_repr())


_OPS: dict[int, tuple[Any, str, str]] = {}   # id -> (the op, its base name, its namespace), the op kept alive


def _describe(func: Any) -> tuple[str, str | None]:
    """(base name, namespace): an operator's namespace (aten, quantized, a custom library's),
    None for a function."""
    known = _OPS.get(id(func))
    if known is not None and known[0] is func:
        return known[1], known[2]
    if isinstance(func, _OVERLOAD):
        qualified = func._schema.name
    elif type(func) is _PACKET:
        qualified = func._qualified_op_name
    else:
        return str(getattr(func, "__name__", "")), None
    namespace, _, name = qualified.partition("::")
    _OPS[id(func)] = (func, name, namespace)
    return name, namespace


def base_name(func: Any) -> str:
    return _describe(func)[0]


def shown_name(func: Any) -> str:
    if isinstance(func, (_OVERLOAD, _PACKET)):
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


# ------------------------------------------------------------------ torch's and the engine's code
# Recorded when the worker is sealed (in the zygote, before any student code ran; an unsealed
# process records on first need): the code objects of every function of the torch and engine
# modules, nested ones included. Never a file name: code the student compiles under torch's file
# name is the student's.
_TRUSTED: dict[str, Any] = {"code": frozenset(), "modules": 0}


def _nested_code(code: types.CodeType, out: set) -> None:
    out.add(code)
    for const in code.co_consts:
        if type(const) is types.CodeType and const not in out:
            _nested_code(const, out)


def _collect_code(value: Any, out: set, seen: set, depth: int = 0) -> None:
    if id(value) in seen:
        return
    seen.add(id(value))
    kind = type(value)   # type(), not isinstance: some torch objects warn when asked their __class__
    if kind is staticmethod or kind is classmethod:
        value = value.__func__
        kind = type(value)
    if kind is property:
        for part in (value.fget, value.fset, value.fdel):
            if part is not None:
                _collect_code(part, out, seen, depth)
    elif kind is types.FunctionType:
        _nested_code(value.__code__, out)
        wrapped = vars(value).get("__wrapped__")
        if wrapped is not None:
            _collect_code(wrapped, out, seen, depth)
        for cell in value.__closure__ or ():   # a decorated function's original lives in a cell
            try:
                inner = cell.cell_contents
            except ValueError:
                continue
            if type(inner) is types.FunctionType or issubclass(type(inner), type):
                _collect_code(inner, out, seen, depth)
    elif issubclass(kind, type) and depth < 4:
        for attr in list(vars(value).values()):
            _collect_code(attr, out, seen, depth + 1)


def record_trusted_code() -> None:
    """Take the record of torch's and the engine's code objects (the zygote calls it before it
    seals, so every worker inherits the record rather than taking it)."""
    out: set = set()
    seen: set = set()
    modules = list(sys.modules.items())
    for name, module in modules:
        if module is not None and (name == "torch" or name.startswith(("torch.", "grader."))):
            for value in list(vars(module).values()):
                _collect_code(value, out, seen)
    _TRUSTED["code"] = frozenset(out)
    _TRUSTED["modules"] = len(modules)


def _trusted(code: types.CodeType) -> bool:
    if code in _TRUSTED["code"]:
        return True
    # Unsealed (a student's own pytest run, where nothing is at stake) torch may have imported
    # modules since the record: take it again. A sealed worker keeps the record it was given.
    if not sealed() and _TRUSTED["modules"] != len(sys.modules):
        record_trusted_code()
        return code in _TRUSTED["code"]
    return False


def _called_by_student(names: frozenset[str], depth: int = 1) -> bool:
    """Whether the caller `depth` frames above our caller is the student's code: not torch's or
    the engine's, or torch's but not code that names the switch (tree_map(switch, ...) is the
    student's call made through a torch helper)."""
    code = _getframe(depth + 1).f_code
    return not (_trusted(code) and not names.isdisjoint(code.co_names))


# ------------------------------------------------------------------ mode stacks
def _td_pop() -> Any:
    return _pop_dispatch(None)


def clear_modes() -> None:
    """Put the calling thread's torch modes and dispatch key sets back to exactly the engine's
    outside a guard: no mode, torch functions enabled, no Python key excluded. Called at every
    request boundary and on guard entry; a mode the student's code left behind (at import or
    in a call) then never sees a guarded call, nor the encoder's tensor operations."""
    while _tf_len():
        _tf_pop()
    for key in _INFRA_KEYS:
        if _get_infra(key) is not None:
            _unset_infra(key)
    while _td_len():
        _td_pop()
    if _tf_state() != _TF_ENABLED:
        _set_tf_state(_TF_ENABLED)
    include, exclude = _include_set(), _exclude_set()
    if (include.raw_repr(), exclude.raw_repr()) != _BASE_KEYS:
        _restore_keys()


def _restore_keys() -> None:
    base_include, base_exclude = (_C.DispatchKeySet.from_raw_repr(r) for r in _BASE_KEYS)
    for key in _DISPATCH_KEYS:
        try:
            _set_included(key, base_include.has(key))
            _set_excluded(key, base_exclude.has(key))
        except (RuntimeError, ValueError):  # alias keys (Autograd, CompositeImplicitAutograd) are no TLS bits
            continue


def _pop_down_to(mode: Any, pop: Callable[[], Any], length: Callable[[], int]) -> None:
    """Pop the stack down to and including `mode` (modes the student pushed above it and left
    go with it)."""
    for _ in range(length()):
        if pop() is mode:
            return


def _exit_mode(mode: Any, at: Callable[[int], Any], pop: Callable[[], Any], length: Callable[[], int]) -> None:
    """Leave `mode` as its own __exit__ does, after popping what the student pushed above it."""
    while length() and at(length() - 1) is not mode:
        pop()
    if length():
        mode.__exit__(None, None, None)


# ------------------------------------------------------------------ the modes
_ACTIVE: list["Guard"] = []  # guards with something forbidden, innermost last


def _plain(kinds: Any) -> bool:
    """Whether the tensors of a call are plain (or Parameters): then our function mode stays
    active inside it. A subclass with its own handler (torch's UninitializedParameter) is left
    to that handler, as before the mode was pushed."""
    for kind in kinds:
        if kind is not _TENSOR and getattr(kind, "__torch_function__", None) is not _DISABLED_FUNCTION_IMPL:
            return False
    return True


def _student_handler(kinds: Any, attribute: str) -> type | None:
    """A tensor subclass among `kinds` whose `attribute` handler is the student's code: it would
    run torch calls while the guard's mode is set aside."""
    for kind in kinds:
        handler = getattr(kind, attribute, None)
        if handler is None or handler is _DISABLED_FUNCTION_IMPL:
            continue
        fn = getattr(handler, "__func__", handler)
        if type(fn) is types.FunctionType and not _trusted(fn.__code__):
            return kind
    return None


def _api_caller(frame: Any) -> Any:
    """The frame that called the torch function being handled: the frame that called the C
    function, or, for one written in Python (F.dropout), the frame above it."""
    if frame.f_code is _HANDLE_TORCH_FUNCTION and frame.f_back is not None:
        return frame.f_back.f_back or frame
    return frame


def _internal(frame: Any, func: Any) -> bool:
    """Inside a handled call: torch's own implementation calling a function it names (meta add's
    broadcasting calls expand) is not the student's call; a callback, a hook or a function
    handed to torch still is."""
    caller = _api_caller(frame).f_code
    return _trusted(caller) and base_name(func) in caller.co_names


def _handle_function(mode: Any, guard: "Guard | None", func: Any, kinds: Any, args: Any, kwargs: Any) -> Any:
    code = func.__code__ if type(func) in _FUNCTION_TYPES else None
    frame = _getframe(2)
    if frame.f_code is _HANDLE_FUNCTION or frame.f_code is code:
        # the hop we asked torch to skip came straight back: a C function that consults the
        # modes itself (torch._C._set_grad_enabled), or a Python one whose C half reports it as
        # the API (Tensor.unflatten calls super().unflatten). It was seen one frame up: run it
        return func(*args, **(kwargs or {}))
    if guard is not None and not (mode.depth and _internal(frame, func)):
        guard.seen(func, kinds, "__torch_function__")
    if kinds and not _plain(kinds):
        return func(*args, **(kwargs or {}))
    # torch's redispatch_function pattern: skip this mode for `func` itself, keep it for what
    # runs inside (torch functions written in Python, callbacks, hooks). A function of the
    # student's own handed to handle_torch_function is no torch function: it runs under the
    # mode as it is (a skipped hop would go to the first torch function it calls).
    own = code is not None and not _trusted(code)
    if own and func in mode.direct:   # it handed itself to torch again: run it plainly this time
        return func(*args, **(kwargs or {}))
    _tf_push(mode)
    mode.depth += 1
    try:
        if own:
            mode.direct.append(func)
            try:
                return func(*args, **(kwargs or {}))
            finally:
                mode.direct.pop()
        return _skip_one_hop(func, kinds, args, kwargs or {})
    finally:
        mode.depth -= 1
        _pop_down_to(mode, _tf_pop, _tf_len)


_HANDLE_FUNCTION = _handle_function.__code__
_HANDLE_TORCH_FUNCTION = torch.overrides.handle_torch_function.__code__


class _FunctionGuard(TorchFunctionMode, metaclass=Sealed):
    def __init__(self, guard: "Guard") -> None:
        super().__init__()
        self.guard = guard
        self.depth = 0   # torch functions it is inside of (their own calls are torch's)
        self.direct: list = []   # functions of the student's own it is running

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        return _handle_function(self, self.guard, func, types, args, kwargs)


def _run_op(func: Any, args: Any, kwargs: Any) -> Any:
    """An aten op a dispatch mode was handed, run below it: the function mode, active again
    inside the calls it handles, has seen the torch function that led here."""
    with _NO_FUNCTION_MODES():
        return func(*args, **(kwargs or {}))


class _DispatchGuard(TorchDispatchMode, metaclass=Sealed):
    def __init__(self, guard: "Guard") -> None:
        super().__init__()
        self.guard = guard

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        self.guard.seen(func, types, "__torch_dispatch__")
        return _run_op(func, args, kwargs)


class _FollowFunctions(TorchFunctionMode, metaclass=Sealed):
    """Pushed for good in every thread the student's code starts: whatever guard is active in
    the worker (on any thread) sees that thread's torch calls too."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.direct: list = []

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        return _handle_function(self, _ACTIVE[-1] if _ACTIVE else None, func, types, args, kwargs)


class _FollowDispatch(TorchDispatchMode, metaclass=Sealed):
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        if _ACTIVE:
            _ACTIVE[-1].seen(func, types, "__torch_dispatch__")
        return _run_op(func, args, kwargs)


# ------------------------------------------------------------------ switches
# TorchScript and compiled code run kernels the modes never see (a fused softmax), and so do the
# switches below: in an exercise with bans, the student's own code may use none of them.
STRICT: list[Any] = []   # [owner] while the executor `owner`, whose exercise bans something, answers


def _refuse(name: str, shown: str) -> None:
    signal = ForbiddenSignal(name, shown)
    if _ACTIVE:
        _ACTIVE[-1].violation = signal
    raise signal


# Every way to switch the guard's modes off, or to run an op below them, by owner. Functions
# and context-manager classes alike: refused when the student's code calls them in an exercise
# with bans, or in any call with bans.
_SWITCHES: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (torch._C, ("DisableTorchFunction", "_pop_torch_function_stack", "_set_torch_function_state",
                "_skip_one_hop_torch_function", "_set_skip_next_torch_function", "_pop_torch_dispatch_stack",
                "_unset_dispatch_mode", "_set_dispatch_mode", "_DisableTorchDispatch", "_ExcludeDispatchKeyGuard",
                "ExcludeDispatchKeyGuard", "_SetExcludeDispatchKeyGuard", "_ForceDispatchKeyGuard",
                "_dispatch_tls_set_dispatch_key_excluded", "_dispatch_tls_set_dispatch_key_included",
                "_EnablePythonDispatcher", "_EnablePreDispatch")),
    (torch.overrides, ("_pop_mode", "_pop_mode_temporarily", "redispatch_function")),
    (torch.utils._python_dispatch, ("_pop_mode", "_pop_mode_temporarily", "_disable_current_modes")),
    # redispatching an op straight to a backend kernel skips the Python dispatch key
    (torch._C._DispatchOperatorHandle, ("redispatch_boxed",)),
    (torch._ops.OpOverload, ("redispatch",)),
)
_COMPILERS = ((torch.jit, "script"), (torch.jit, "trace"), (torch.jit, "trace_module"), (torch.jit, "load"),
              (torch.jit, "freeze"), (torch.jit, "optimize_for_inference"), (torch, "compile"))
# Registering a kernel (a Python function) for an aten or prims op, or a fallback for every op,
# puts code the student wrote below the modes.
_GUARDED_LIBRARIES = ("aten", "prims", "_")
_REGISTERING = ("impl", "impl_t_t", "impl_with_aoti_compile", "fallback", "fallback_fallthrough", "def_",
                "def_legacy", "def_name_t_t", "def_schema_t_t", "define", "register_ad_inplace_or_view_fallback")
_LIBRARIES: dict[int, Any] = {}   # id -> library made after the install (kept, so ids stay unique)


def _bound_names(originals: dict[int, Any]) -> dict[int, list[tuple[dict, str]]]:
    """Where each original is bound in a torch module (torch.overrides imported
    _pop_torch_function_stack from torch._C at import: that name must not keep the original)."""
    places: dict[int, list[tuple[dict, str]]] = {key: [] for key in originals}
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "torch" or name.startswith("torch.")):
            continue
        space = vars(module)
        for attr, value in list(space.items()):
            key = id(value)
            if key in places and value is originals[key]:
                places[key].append((space, attr))
    return places


def _switch_function(original: Callable, names: frozenset[str], shown: str) -> Callable:
    def switch(*args: Any, **kwargs: Any) -> Any:
        if (STRICT or _ACTIVE) and _called_by_student(names):
            _refuse("mode switch", f"{shown} (it hides torch calls from the checks)")
        return original(*args, **kwargs)
    switch.__name__ = getattr(original, "__name__", shown)  # no __wrapped__: the original must not be one attribute away
    switch.__doc__ = getattr(original, "__doc__", None)
    return switch


def _switch_class(original: type, names: frozenset[str], shown: str) -> type:
    refuse = f"{shown} (it hides torch calls from the checks)"

    class Switch(metaclass=Sealed):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._student = _called_by_student(names)
            if self._student and (STRICT or _ACTIVE):
                _refuse("mode switch", refuse)
            self._inner = original(*args, **kwargs)

        def __enter__(self) -> Any:
            if self._student and _ACTIVE:   # made outside the call, entered inside it
                _refuse("mode switch", refuse)
            return self._inner.__enter__()

        def __exit__(self, *exc: Any) -> Any:
            return self._inner.__exit__(*exc)

    Switch.__name__ = Switch.__qualname__ = original.__name__
    return Switch


def _wrap_switches() -> None:
    originals: dict[int, Any] = {}
    owners: list[tuple[Any, str, Any]] = []
    for owner, switches in _SWITCHES:
        for name in switches:
            original = vars(owner).get(name) if isinstance(owner, type) else getattr(owner, name, None)
            if original is not None:
                owners.append((owner, name, original))
                originals[id(original)] = original
    places = _bound_names(originals)
    done: dict[int, Any] = {}
    for owner, name, original in owners:
        if isinstance(owner, type):   # a method: bound under its own name only
            shown = f"{owner.__module__}.{owner.__qualname__}.{name}"
            setattr(owner, name, _switch_function(original, frozenset((name,)), shown))
            continue
        if id(original) in done:      # the same function under another owner's name
            continue
        where = places[id(original)]
        names = frozenset(attr for _, attr in where) | {name}
        shown = f"{owner.__name__}.{name}"
        wrapper = (_switch_class(original, names, shown) if isinstance(original, type)
                   else _switch_function(original, names, shown))
        setattr(owner, name, wrapper)
        for space, attr in where:
            space[attr] = wrapper
        done[id(original)] = wrapper


def _wrap_compiler(owner: Any, name: str) -> None:
    original: Callable = getattr(owner, name)
    shown = f"torch.{'jit.' if owner is torch.jit else ''}{name}"
    names = frozenset((name,))

    def guarded(*args: Any, **kwargs: Any) -> Any:
        if STRICT and _called_by_student(names):
            _refuse(name, f"{shown} (compiled code hides torch calls from the checks)")
        return original(*args, **kwargs)

    guarded.__name__ = name
    guarded.__doc__ = original.__doc__
    setattr(owner, name, guarded)


def _wrap_libraries() -> None:
    """torch.library, and everything else that registers kernels, ends at torch._C's
    _dispatch_library and the methods of the module it returns."""
    original = torch._C._dispatch_library

    def dispatch_library(kind: str, ns: str, *args: Any, **kwargs: Any) -> Any:
        if STRICT and ns in _GUARDED_LIBRARIES:
            _refuse("torch.library", f"torch.library on the {ns!r} namespace (a kernel of your own "
                                     "below the checks' view)")
        library = original(kind, ns, *args, **kwargs)
        _LIBRARIES[id(library)] = library
        return library

    dispatch_library.__name__ = "_dispatch_library"
    setattr(torch._C, "_dispatch_library", dispatch_library)
    module_type = torch._C._DispatchModule
    for name in _REGISTERING:
        method = vars(module_type).get(name)
        if method is not None:
            setattr(module_type, name, _registering(method, name))


def _registering(method: Callable, name: str) -> Callable:
    def register(self: Any, *args: Any, **kwargs: Any) -> Any:
        # torch's own libraries (aten, prims...) were made before the install: no new kernels
        # for them; a library made since is not on a guarded namespace (refused when made)
        if STRICT and id(self) not in _LIBRARIES:
            _refuse("torch.library", "torch.library registration on one of torch's own libraries "
                                     "(a kernel of your own below the checks' view)")
        return method(self, *args, **kwargs)
    register.__name__ = name
    return register


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
            _refuse(name, f"torch.{name}")
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


def set_strict(owner: Any, strict: bool) -> None:
    """Called by the executor before the student's import and before each request."""
    STRICT[:] = [owner] if strict else []


def strict_for(owner: Any) -> bool:
    return bool(STRICT) and STRICT[0] is owner


def install_mode_switch_guards() -> None:
    """Wrap the mode switches, kernel registration, thread starts and TorchScript/compile entry
    points; call before importing student code (once per process is enough)."""
    if _INSTALLED:
        return
    _INSTALLED.append(True)
    _wrap_thread_start()
    _wrap_libraries()
    for owner, name in _COMPILERS:
        if hasattr(owner, name):
            _wrap_compiler(owner, name)
    _wrap_switches()
    wrapped: dict = {}
    for owner, names in _TENSORLESS:
        for name in names:
            if hasattr(owner, name):
                _wrap_tensorless(owner, name, wrapped)


class Guard(metaclass=Sealed):
    """Context manager: raises ForbiddenSignal at the first banned call and remembers it."""

    __slots__ = ("names", "violation", "_modes")   # nothing set on the instance shadows `seen`

    def __init__(self, names: Iterable[str]) -> None:
        self.names = expand_families(n.strip().lstrip(".") for n in names if n.strip())
        self.violation: ForbiddenSignal | None = None
        self._modes: list[Any] = []

    def seen(self, func: Any, kinds: Any = (), handler: str = "__torch_function__") -> None:
        if self.violation is not None:
            raise self.violation
        name, namespace = _describe(func)
        if name in self.names:
            shown = shown_name(func)
            if name in _TO_NUMPY:
                shown += " (numpy would compute the reductions this function may not use)"
            _refuse(name, shown)
        if namespace is not None and namespace not in NAMESPACES:
            _refuse(name, f"{shown_name(func)} (an operator outside torch's own: the checks cannot "
                          "tell what it computes)")
        student = _student_handler(kinds, handler) if kinds else None
        if student is not None:
            _refuse(name, f"{student.__name__}.{handler} (a tensor subclass of your own runs torch "
                          "calls the checks cannot see)")

    def __enter__(self) -> "Guard":
        if self.names:
            clear_modes()   # nothing the student's code pushed may sit below the guard's modes
            self._modes = [_DispatchGuard(self), _FunctionGuard(self)]
            for mode in self._modes:
                mode.__enter__()
            _ACTIVE.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        if self._modes:
            # modes the student pushed and left above the guard's go with them
            dispatch, function = self._modes
            _exit_mode(function, _tf_at, _tf_pop, _tf_len)
            _exit_mode(dispatch, _td_at, _td_pop, _td_len)
            self._modes = []
