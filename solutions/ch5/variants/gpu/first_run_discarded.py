"""Correct: the first of repeats + 1 timed products is the warm-up and is left out of the median."""

import statistics
import time

import torch

VERDICT = "correct"


def try_gpu(i=0):
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


def move_to(obj, device):
    if isinstance(obj, list):
        return [move_to(item, device) for item in obj]
    if isinstance(obj, tuple):
        return tuple(move_to(item, device) for item in obj)
    if isinstance(obj, set):
        return {move_to(item, device) for item in obj}
    if isinstance(obj, dict):
        return {move_to(key, device): move_to(value, device) for key, value in obj.items()}
    if hasattr(obj, "to"):
        return obj.to(device)
    return obj


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_matmul(n, device, repeats=10):
    device = torch.device(device)
    x = torch.rand(n, n, device=device)
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        x @ x
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])   # the first run was the warm-up


def gpu_speedup(n=4096, repeats=10):
    if not torch.cuda.is_available():
        raise RuntimeError("no GPU")
    cpu_seconds = time_matmul(n, "cpu", repeats)
    gpu_seconds = time_matmul(n, try_gpu(), repeats)
    return {"cpu_seconds": cpu_seconds, "gpu_seconds": gpu_seconds, "speedup": cpu_seconds / gpu_seconds}
