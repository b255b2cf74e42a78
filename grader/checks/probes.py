"""Trusted engine code a check runs next to the student's code: measurements and file helpers.

`student.probe("matmul_seconds", n=512, device="cpu")` gives the check its own figure, measured
on the same machine at the same moment, to compare the student's timing with. Measurements
(`MEASUREMENTS`: facts about the machine) run under `grader grade` in a probe worker that never
imported the submission, so no student code can fake them; the other probes act on the
student's own worker (its scratch directory, a handle of the student's object) and run there,
sealed like the rest of the engine (grader.checks.integrity).
"""

from __future__ import annotations

from grader.checks.integrity import ENGINE_BUILTINS as __builtins__  # type: ignore[no-redef]  # noqa: F401 - see integrity

import atexit
import os
import shutil
import statistics
import tempfile
import time
from typing import Any, Callable

import torch

from grader.checks.codec import plain_containers
from grader.checks.specs import Opaque

# What the probes call, bound before any student code runs: a student who rebinds os.listdir,
# tempfile.mkdtemp or torch.load in their worker (even for one call) changes nothing a probe reports.
_listdir, _mkdtemp, _rmtree, _at_exit = os.listdir, tempfile.mkdtemp, shutil.rmtree, atexit.register
_median, _clock = statistics.median, time.perf_counter
_load, _save, _randn, _device = torch.load, torch.save, torch.randn, torch.device
_cuda_sync, _cuda_available, _cuda_name = torch.cuda.synchronize, torch.cuda.is_available, torch.cuda.get_device_name

PROBES: dict[str, Callable[..., Any]] = {}
MEASUREMENTS = frozenset({"matmul_seconds", "device_info"})


def probe(fn: Callable[..., Any]) -> Callable[..., Any]:
    PROBES[fn.__name__] = fn
    return fn


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        _cuda_sync(device)


@probe
def matmul_seconds(n: int = 512, device: str = "cpu", repeats: int = 10, warmup: int = 2) -> float:
    """Median seconds of one n x n float32 matmul, with warm-up and synchronisation."""
    dev = _device(device)
    x = _randn(n, n, device=dev)
    for _ in range(warmup):
        x @ x
    synchronize(dev)
    times = []
    for _ in range(repeats):
        start = _clock()
        x @ x
        synchronize(dev)
        times.append(_clock() - start)
    return _median(times)


@probe
def device_info() -> dict:
    info = {"torch": str(torch.__version__), "cuda": str(torch.version.cuda or ""), "cuda_available":
            _cuda_available(), "gpu": ""}
    if info["cuda_available"]:
        info["gpu"] = str(_cuda_name(0))
    return info


# ---------------------------------------------------------------- files next to the student's code
# Checks of code that saves and loads files work in a folder of the student's process: in the
# sandbox the worker may write only inside its own scratch directory (tempfile's default there).

@probe
def scratch_dir() -> str:
    """A new empty directory the student's code may write to (removed when the process exits)."""
    path = _mkdtemp(prefix="tg-scratch-")
    _at_exit(_rmtree, path, True)
    return path


@probe
def list_dir(path: str) -> list:
    """Sorted names of the entries of a directory ([] if it does not exist)."""
    try:
        return sorted(_listdir(path))
    except OSError:
        return []


@probe
def read_checkpoint(path: str) -> dict:
    """torch.load(path, weights_only=True, map_location="cpu") as plain data:
    {"ok": True, "value": ...}, or {"ok": False, "error": "..."} when it cannot be loaded safely."""
    try:
        value = _load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # noqa: BLE001 - a missing file, pickled objects, a corrupt file
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
    return {"ok": True, "value": plain_containers(value)}


@probe
def write_checkpoint(path: str, content: Any, unsafe: bool = False) -> None:
    """torch.save(content, path); unsafe=True also stores an engine object under "unsafe" (a file
    that torch.load(..., weights_only=True) must refuse)."""
    if unsafe:
        content = dict(content, unsafe=Opaque("pickled object"))
    _save(content, path)
def pattern_tensor(shape: Any, seed: int, key: int, scale: float | None = None) -> torch.Tensor:
    """A deterministic float32 tensor for (seed, key): a seeded Gaussian pool of at most 4093
    values (a prime, so rows and channels of any size see shifted copies, never the same one)
    tiled over the shape. Scaled by sqrt(2 / fan_in) for tensors with two or more dimensions
    (He), by 0.2 for vectors, unless `scale` is given. Judge and worker compute the same values,
    so a check can give two networks the same weights without sending them."""
    shape = tuple(int(s) for s in shape)
    n = 1
    for s in shape:
        n *= s
    gen = torch.Generator().manual_seed(int(seed) * 1_000_003 + int(key))
    pool = torch.randn(max(1, min(n, 4093)), generator=gen)
    if scale is None:
        fan_in = n // shape[0] if len(shape) > 1 and shape[0] else 0
        scale = (2.0 / fan_in) ** 0.5 if fan_in else 0.2
    reps = -(-n // pool.numel())
    return (pool * float(scale)).repeat(reps)[:n].reshape(shape)


@probe
def fill_parameters(module: Any, seed: int = 0, keys: dict | None = None, device: str | None = None) -> int:
    """Give an nn.Module (a handle) deterministic parameters without sending them: parameter
    `name` gets pattern_tensor(shape, seed, keys[name]) (keys default to the position in
    named_parameters()). With `device` the module is first materialised there with to_empty (a
    network built with `_device="meta"` becomes a real one without drawing its default
    initialisation); floating buffers then hold ones, the others zeros. Returns the number of
    values written."""
    if not isinstance(module, torch.nn.Module):
        raise TypeError("fill_parameters needs a module (pass a handle)")
    if device is not None:
        module.to_empty(device=torch.device(device))
        with torch.no_grad():
            for buf in module.buffers():
                buf.fill_(1 if buf.is_floating_point() else 0)
    written = 0
    with torch.no_grad():
        for i, (name, p) in enumerate(module.named_parameters()):
            key = keys[name] if keys is not None and name in keys else i
            _fill_pattern(p, seed, key)
            written += p.numel()
    return written


def _fill_pattern(p: torch.Tensor, seed: int, key: int) -> None:
    """p.copy_(pattern_tensor(p.shape, seed, key)) without a temporary of p's size: the pool is
    written once, then the filled prefix is copied onto the rest in doubling chunks."""
    n = p.numel()
    if not p.is_contiguous() or n <= 4093:
        p.copy_(pattern_tensor(p.shape, seed, key).to(p.dtype))
        return
    flat = p.view(-1)
    shape = tuple(p.shape)
    fan_in = n // shape[0] if len(shape) > 1 and shape[0] else 0
    scale = (2.0 / fan_in) ** 0.5 if fan_in else 0.2
    gen = torch.Generator().manual_seed(int(seed) * 1_000_003 + int(key))
    pool = torch.randn(4093, generator=gen) * float(scale)
    flat[:4093].copy_(pool)
    done = 4093
    while done < n:
        step = min(done, n - done)
        flat[done:done + step].copy_(flat[:step])
        done += step
