"""Trusted measurements a check runs in the student's own process, beside the student's code.

`student.probe("matmul_seconds", n=512, device="cpu")` gives the check its own figure, measured
on the same machine at the same moment, to compare the student's timing with.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable

import torch

PROBES: dict[str, Callable[..., Any]] = {}


def probe(fn: Callable[..., Any]) -> Callable[..., Any]:
    PROBES[fn.__name__] = fn
    return fn


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@probe
def matmul_seconds(n: int = 512, device: str = "cpu", repeats: int = 10, warmup: int = 2) -> float:
    """Median seconds of one n x n float32 matmul, with warm-up and synchronisation."""
    dev = torch.device(device)
    x = torch.randn(n, n, device=dev)
    for _ in range(warmup):
        x @ x
    synchronize(dev)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        x @ x
        synchronize(dev)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@probe
def device_info() -> dict:
    info = {"torch": str(torch.__version__), "cuda": str(torch.version.cuda or ""), "cuda_available":
            torch.cuda.is_available(), "gpu": ""}
    if info["cuda_available"]:
        info["gpu"] = str(torch.cuda.get_device_name(0))
    return info


def peak_flops(device: torch.device | str) -> float:
    """A generous upper bound on float32 FLOP/s: a figure above it cannot be a real measurement."""
    dev = torch.device(device)
    if dev.type == "cuda":
        return 2.0e15  # no GPU we know of does dense fp32/tf32 matmul at 2 PFLOP/s
    import os
    cores = os.cpu_count() or 1
    return cores * 6.0e9 * 64  # cores x 6 GHz x 64 fp32 FLOP per cycle (2 AVX-512 FMA units)
