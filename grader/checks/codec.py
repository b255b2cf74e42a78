"""Plain data across the judge/worker boundary.

Student code is never trusted to hand the judge an object: results are converted here into a
tree of built-in values and *exact* torch.Tensors (no subclass, no custom __eq__), written as a
frame (MessagePack for the structure, raw bytes for tensor data) whose reader can only ever
build None, booleans, numbers, strings, bytes, lists, string-keyed dicts and dense tensors: no
class is named on the wire, so nothing the worker writes can run code in the judge. Local
(pytest) mode goes through the very same round trip, so a check sees the same data in both modes.

Containers and torch scalars MessagePack does not have are written as small tagged dicts:
{"__tg__": "tuple", "v": [...]}. (The wire was torch.save/torch.load(weights_only=True) until
that proved to be most of a cheap check's cost: its unpickler is a Python loop.)
"""

from __future__ import annotations

from grader.checks.integrity import ENGINE_BUILTINS as __builtins__  # type: ignore[no-redef]  # noqa: F401 - see integrity

import math
import struct
import time
from typing import Any, Callable

import msgpack
import torch

from grader.checks.student_errors import NotPlainData, ProtocolError

# The tensor methods the encoder calls, bound to torch's C class before any student code runs:
# a `torch.Tensor.contiguous = f` (an attribute added to the Python class, shadowing these) does
# not change what is shipped; the seal reports it.
_T = torch._C.TensorBase
_detach, _is_conj, _resolve_conj, _is_neg, _resolve_neg = _T.detach, _T.is_conj, _T.resolve_conj, _T.is_neg, _T.resolve_neg
_to, _contiguous, _numel, _element_size = _T.to, _T.contiguous, _T.numel, _T.element_size
_layout, _device, _shape, _dtype = (vars(_T)[name].__get__ for name in ("layout", "device", "shape", "dtype"))

TAG = "__tg__"
MAX_DEPTH = 64
MAX_NODES = 1_000_000
MAX_BYTES = 512 * 1024 * 1024
# Decoding, on the judge's side, of bytes the worker wrote (or forged): every byte of structure
# can become a Python object, so the structure part of a reply is capped; tensor data lives in
# its own section, is sliced and never parsed, and does not count. The tree is rebuilt under
# the same node and byte budget as it was built, and under a clock.
MAX_STRUCTURE_BYTES = 2 * 1024 * 1024
DECODE_SECONDS = 5.0
MAGIC = b"TGW1"
_LENGTH = struct.Struct(">Q")
_EXT_TENSOR = 1
_EXT_BIGINT = 2

_SCALARS = (type(None), bool, int, float, str, bytes)


class Budget:
    """Guards against deep or huge structures (a returned list of a million tensors...), and,
    with `seconds`, against structures that take long to walk (shared references that expand)."""

    def __init__(self, seconds: float | None = None) -> None:
        self.nodes = 0
        self.bytes = 0
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.seconds = seconds
        self.containers: set[int] = set()   # decoding: ids of the lists and dicts seen

    def once(self, container: Any) -> None:
        """The encoder never writes the same list or dict twice (each occurrence is a fresh
        copy), so a shared one means a forged reply built to expand: refused at once."""
        key = id(container)
        if key in self.containers:
            raise NotPlainData("the reply reuses parts of itself (a structure built to expand): "
                               "not plain data")
        self.containers.add(key)

    def take(self, path: str, nbytes: int = 0) -> None:
        self.nodes += 1
        self.bytes += nbytes
        if self.nodes > MAX_NODES:
            raise NotPlainData(f"{path}: the returned structure has more than {MAX_NODES} parts")
        if self.bytes > MAX_BYTES:
            raise NotPlainData(f"{path}: the returned tensors hold more than {MAX_BYTES >> 20} MB")
        if self.deadline is not None and self.nodes & 1023 == 0 and time.monotonic() > self.deadline:
            raise NotPlainData(f"{path}: reading the returned structure took more than {self.seconds:g} s")


def describe_type(obj: Any) -> str:
    cls = type(obj)
    mod = getattr(cls, "__module__", "") or ""
    return f"{mod}.{cls.__qualname__}" if mod not in ("builtins", "") else cls.__qualname__


def encode_tensor(t: torch.Tensor, path: str, budget: Budget) -> dict:
    if type(t) is torch.nn.Parameter:
        t = _detach(t)
    if type(t) is not torch.Tensor:
        raise NotPlainData(f"{path}: is a {describe_type(t)}, a subclass of torch.Tensor; "
                           "return a plain torch.Tensor")
    layout = _layout(t)
    if layout != torch.strided:
        raise NotPlainData(f"{path}: is a {layout} tensor; return a dense (strided) tensor")
    where = _device(t)
    device = str(where)
    if where.type == "meta":
        budget.take(path)
        return {TAG: "tensor", "meta": True, "shape": list(_shape(t)), "dtype": str(_dtype(t)), "device": device}
    data = _detach(t)
    if _is_conj(data):
        data = _resolve_conj(data)
    if _is_neg(data):
        data = _resolve_neg(data)
    budget.take(path, _numel(data) * _element_size(data))
    # clone: never ship a view that drags a huge storage along, never share memory with the sender
    data = _contiguous(_to(data, "cpu", copy=True))
    return {TAG: "tensor", "data": data, "device": device}


def plain_containers(value: Any) -> Any:
    """OrderedDict (state_dict) and other dict subclasses become dicts, recursively."""
    if isinstance(value, dict):
        return {k: plain_containers(v) for k, v in value.items()}
    if type(value) is list:
        return [plain_containers(v) for v in value]
    if type(value) is tuple:
        return tuple(plain_containers(v) for v in value)
    return value


def to_plain(obj: Any, path: str = "value", *, on_module: Callable[[Any], dict] | None = None,
             on_special: Callable[[Any], dict | None] | None = None,
             _budget: Budget | None = None, _depth: int = 0) -> Any:
    """Convert `obj` to the wire tree, or raise NotPlainData naming where and what the problem is.

    on_module: turns an nn.Module into a handle reference (worker side); without it a module is
    not plain data. on_special: lets the caller encode trusted engine objects (builds, handles).
    """
    budget = _budget or Budget()
    if _depth > MAX_DEPTH:
        raise NotPlainData(f"{path}: nested more than {MAX_DEPTH} levels deep (a cycle?)")
    kind = type(obj)
    rec = lambda value, where: to_plain(value, where, on_module=on_module, on_special=on_special,  # noqa: E731
                                        _budget=budget, _depth=_depth + 1)
    if kind in _SCALARS:
        budget.take(path, len(obj) if kind in (str, bytes) else 0)
        return obj
    if kind is torch.Tensor or kind is torch.nn.Parameter:
        return encode_tensor(obj, path, budget)
    if on_special is not None:
        special = on_special(obj)
        if special is not None:
            budget.take(path)
            return special
    if kind is list:
        budget.take(path)
        return [rec(v, f"{path}[{i}]") for i, v in enumerate(obj)]
    if kind is tuple:
        budget.take(path)
        return {TAG: "tuple", "v": [rec(v, f"{path}[{i}]") for i, v in enumerate(obj)]}
    if kind in (set, frozenset):
        budget.take(path)
        return {TAG: kind.__name__, "v": [rec(v, f"{path}{{item}}") for v in obj]}
    if kind is dict:
        budget.take(path)
        return {TAG: "dict", "v": [[rec(k, f"{path} key {k!r}" if type(k) in _SCALARS else f"{path} key"),
                                    rec(v, f"{path}[{k!r}]" if type(k) in _SCALARS else f"{path}[key]")]
                                   for k, v in obj.items()]}
    if kind is torch.dtype:
        return {TAG: "dtype", "v": str(obj).removeprefix("torch.")}
    if kind is torch.device:
        return {TAG: "device", "v": str(obj)}
    if kind is torch.Size:
        return {TAG: "size", "v": [int(d) for d in obj]}
    if isinstance(obj, torch.Tensor):
        return encode_tensor(obj, path, budget)  # raises with the subclass named
    if on_module is not None and isinstance(obj, torch.nn.Module):
        budget.take(path)
        return on_module(obj)
    numpy_value = _from_numpy_scalar(obj)
    if numpy_value is not None:
        budget.take(path)
        return numpy_value
    hint = ""
    if kind.__module__ == "numpy":
        hint = "; convert numpy arrays with torch.from_numpy(...) or return a Python number"
    elif isinstance(obj, torch.nn.Module):
        hint = "; return a tensor or number, not a module"
    raise NotPlainData(f"{path}: returned a {describe_type(obj)}, which is not plain data "
                       f"(tensors, numbers, strings, lists, tuples, dicts, sets){hint}")


def _from_numpy_scalar(obj: Any) -> Any:
    kind = type(obj)
    if kind.__module__ != "numpy":
        return None
    import numpy as np
    if kind in (np.float16, np.float32, np.float64):
        return float(obj)
    if kind in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64):
        return int(obj)
    if kind is np.bool_:
        return bool(obj)
    return None


_DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64, torch.complex128,
    torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.bool)}


def parse_dtype(name: str) -> torch.dtype:
    name = str(name).removeprefix("torch.")
    if name not in _DTYPES:
        raise NotPlainData(f"unknown dtype {name!r}")
    return _DTYPES[name]


def place(t: torch.Tensor, device: str) -> torch.Tensor:
    """Put a decoded tensor back on the device it came from when this process can."""
    if device == "cpu":
        return t
    if device.startswith("cuda"):
        if torch.cuda.is_available():
            return t.to(device)
        return t
    return t.to(device)


def check_wire_tensor(data: Any) -> torch.Tensor:
    """A tensor as the encoder writes it: exact type, dense, contiguous, and so backed by a
    storage at least as large as its data. An expanded or zero-stride view (4 bytes on the wire,
    gigabytes once an operation touches it) is refused, never materialised."""
    if type(data) is not torch.Tensor:
        raise NotPlainData("tensor tag without tensor data")
    if data.layout != torch.strided:
        raise NotPlainData(f"a {data.layout} tensor on the wire: only dense tensors are plain data")
    if not data.is_contiguous() or data.storage_offset() < 0 or \
            data.untyped_storage().nbytes() < data.numel() * data.element_size():
        raise NotPlainData(f"a tensor of shape {tuple(data.shape)} with strides {tuple(data.stride())} "
                           "(expanded, zero-stride or overlapping) is not plain data; the engine only "
                           "sends contiguous copies")
    return data


def from_plain(tree: Any, *, on_tag: Callable[[str, dict], Any] | None = None,
               _depth: int = 0, _budget: Budget | None = None) -> Any:
    """Rebuild values from a wire tree; anything unexpected is NotPlainData.

    on_tag: decodes engine tags this module does not know (handles, builds, movables).
    Every node visited counts against one Budget (nodes, tensor bytes, DECODE_SECONDS): a tree
    whose lists share references is walked as the structure it expands to, and refused once
    that is too large.
    """
    budget = _budget if _budget is not None else Budget(DECODE_SECONDS)
    if _depth > MAX_DEPTH + 2:
        raise NotPlainData("reply nested too deeply")
    kind = type(tree)
    rec = lambda v: from_plain(v, on_tag=on_tag, _depth=_depth + 1, _budget=budget)  # noqa: E731
    if kind in _SCALARS:
        budget.take("reply", len(tree) if kind in (str, bytes) else 0)
        return tree
    budget.take("reply")
    if kind is list or kind is dict:
        budget.once(tree)
    if kind is list:
        return [rec(v) for v in tree]
    if kind is dict:
        tag = tree.get(TAG)
        if tag == "tensor":
            if tree.get("meta"):
                shape = [int(d) for d in tree["shape"]]
                if len(shape) > MAX_DEPTH or any(d < 0 for d in shape):
                    raise NotPlainData("malformed meta tensor")
                return torch.empty(shape, dtype=parse_dtype(tree["dtype"]), device="meta")
            data = check_wire_tensor(tree.get("data"))
            budget.take("reply", data.numel() * data.element_size())
            return place(data, str(tree.get("device", "cpu")))
        if tag == "tuple":
            return tuple(rec(v) for v in tree["v"])
        if tag == "set":
            return {rec(v) for v in tree["v"]}
        if tag == "frozenset":
            return frozenset(rec(v) for v in tree["v"])
        if tag == "dict":
            out = {}
            for pair in tree["v"]:
                if type(pair) is not list or len(pair) != 2:
                    raise NotPlainData("malformed dict entry")
                out[rec(pair[0])] = rec(pair[1])
            return out
        if tag == "dtype":
            return parse_dtype(tree["v"])
        if tag == "device":
            return torch.device(str(tree["v"]))
        if tag == "size":
            return torch.Size([int(d) for d in tree["v"]])
        if on_tag is not None and isinstance(tag, str):
            return on_tag(tag, tree)
        raise NotPlainData(f"unexpected tag {tag!r} in reply")
    raise NotPlainData(f"unexpected {kind.__name__} in reply")


def dumps(tree: Any) -> bytes:
    """The frame of a wire tree: MAGIC, the structure's length, the structure (MessagePack), then
    the tensors' bytes one after another. A tensor in the structure is an extension record
    naming its dtype, shape and place in the data section."""
    _guard(tree)
    chunks: list[bytes] = []
    offset = 0

    def extension(obj: Any) -> msgpack.ExtType:
        nonlocal offset
        if type(obj) is torch.Tensor:
            data = obj.detach().to("cpu")
            raw = data.reshape(-1).view(torch.uint8).numpy().tobytes() if data.numel() else b""
            meta = msgpack.packb([str(data.dtype).removeprefix("torch."), list(data.shape), offset, len(raw)])
            chunks.append(raw)
            offset += len(raw)
            return msgpack.ExtType(_EXT_TENSOR, meta)
        if type(obj) is int:  # beyond 64 bits
            return msgpack.ExtType(_EXT_BIGINT, str(obj).encode())
        raise NotPlainData(f"{describe_type(obj)} in a wire tree")

    structure = msgpack.packb(tree, default=extension, use_bin_type=True, unicode_errors="surrogatepass")
    return b"".join([MAGIC, _LENGTH.pack(len(structure)), structure, *chunks])


def _guard(tree: Any) -> None:
    """A tree about to be written is walked as the structure it expands to: within MAX_NODES
    and MAX_DEPTH, its tensors the dense, contiguous copies to_plain makes. A reply forged past
    to_plain (shared references that expand to 2**40 nodes, a zero-stride tensor of 32 GB) is
    refused here in the worker, quickly, instead of being expanded or materialised as it is
    written. (The frame itself cannot express either: its reader needs no such walk.)"""
    nodes = 0
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise NotPlainData(f"the reply has more than {MAX_NODES} parts once its shared parts are "
                               "counted: not plain data")
        kind = type(node)
        if kind is list or kind is dict:
            if depth > MAX_DEPTH + 2:
                raise NotPlainData("the reply is nested too deeply: not plain data")
            stack.extend((v, depth + 1) for v in (node if kind is list else node.values()))
        elif kind is torch.Tensor:
            check_wire_tensor(node)


def check_frame(data: Any) -> int:
    """What can be told of a frame before it is decoded: its marker and a structure part small
    enough to read back (tensor data does not count; it is sliced, never parsed). Returns the
    structure's length."""
    view = memoryview(data)
    if len(view) < len(MAGIC) + _LENGTH.size or bytes(view[:len(MAGIC)]) != MAGIC:
        raise ProtocolError("the worker sent an unreadable reply (not a torchgrade frame)")
    (size,) = _LENGTH.unpack(view[len(MAGIC):len(MAGIC) + _LENGTH.size])
    if size > len(view) - len(MAGIC) - _LENGTH.size:
        raise NotPlainData("the reply's structure is larger than the reply")
    if size > MAX_STRUCTURE_BYTES:
        raise NotPlainData(f"the returned structure is too large to read back ({size >> 10} KB of "
                           f"structure, the limit is {MAX_STRUCTURE_BYTES >> 10} KB): return a tensor instead "
                           "of long lists of numbers")
    return size


def _tensor_from(meta: bytes, section: memoryview) -> torch.Tensor:
    try:
        dtype_name, shape, offset, nbytes = msgpack.unpackb(meta, use_list=True)
    except Exception:  # noqa: BLE001
        raise NotPlainData("malformed tensor record") from None
    dtype = parse_dtype(dtype_name)
    if type(shape) is not list or len(shape) > MAX_DEPTH or any(type(d) is not int or d < 0 for d in shape) \
            or type(offset) is not int or type(nbytes) is not int or offset < 0 or nbytes < 0 \
            or offset + nbytes > len(section):
        raise NotPlainData("malformed tensor record")
    if math.prod(shape) * dtype.itemsize != nbytes:
        raise NotPlainData("a tensor record whose shape does not match its data")
    if nbytes == 0:
        return torch.empty(shape, dtype=dtype)
    # a copy of its own: aligned, writable, and not keeping the whole frame alive
    flat = torch.frombuffer(bytearray(section[offset:offset + nbytes]), dtype=torch.uint8)
    return flat.view(dtype).reshape(shape)


def loads(data: bytes | bytearray) -> Any:
    """Read bytes written by dumps, or forged by a worker. Only plain values come back
    (MessagePack has no way to name a class or a function); tensors are rebuilt from a dtype, a
    shape and bytes, after the structure's size is bounded."""
    if len(data) > MAX_BYTES + (1 << 20):
        raise NotPlainData("reply larger than the frame limit")
    try:
        size = check_frame(data)
    except ProtocolError as exc:
        raise NotPlainData(str(exc)) from None
    view = memoryview(data)
    head = len(MAGIC) + _LENGTH.size
    section = view[head + size:]

    def extension(code: int, payload: bytes) -> Any:
        if code == _EXT_TENSOR:
            return _tensor_from(payload, section)
        if code == _EXT_BIGINT and len(payload) <= 5000:
            return int(payload.decode("ascii"))
        raise NotPlainData(f"unknown record type {code} in the reply")

    try:
        return msgpack.unpackb(view[head:head + size], ext_hook=extension, raw=False, use_list=True,
                               strict_map_key=True, unicode_errors="surrogatepass")
    except NotPlainData:
        raise
    except Exception as exc:  # noqa: BLE001 - a forged or truncated frame fails in any way
        raise NotPlainData(f"could not decode the data safely: {type(exc).__name__}: {exc}") from None


def roundtrip(tree: Any) -> Any:
    """What the other side of the wire would see."""
    return loads(dumps(tree))
