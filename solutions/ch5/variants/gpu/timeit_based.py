"""Correct: timing with timeit.repeat, one synchronised product per run, median of the runs."""

import statistics
import timeit

import torch

VERDICT = "correct"


def try_gpu(i=0):
    return torch.device("cuda", i) if i < torch.cuda.device_count() else torch.device("cpu")


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


def time_matmul(n, device, repeats=10):
    device = torch.device(device)
    x = torch.rand(n, n, device=device)

    def one_product():
        x @ x
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    one_product()
    return statistics.median(timeit.repeat(one_product, number=1, repeat=repeats))


def gpu_speedup(n=4096, repeats=10):
    gpu = try_gpu()
    if gpu.type != "cuda":
        raise RuntimeError("gpu_speedup needs a CUDA GPU")
    cpu_seconds = time_matmul(n, torch.device("cpu"), repeats)
    gpu_seconds = time_matmul(n, gpu, repeats)
    return dict(cpu_seconds=cpu_seconds, gpu_seconds=gpu_seconds, speedup=cpu_seconds / gpu_seconds)
