# %% [markdown]
# # Devices and GPU speed-up
#
# A graphics card is, for our purposes, a very fast calculator for tensors. It was built to draw
# 3-D scenes, which is mostly multiplying matrices, and neural networks are mostly multiplying
# matrices too. PyTorch runs the same code on the CPU or on a GPU; what decides where an
# operation runs is the *device* of the tensors it works on.
#
# ## Devices
#
# `torch.device("cpu")` is the processor, `torch.device("cuda:0")` the first NVIDIA GPU,
# `torch.device("cuda:1")` the second, and so on. `torch.cuda.device_count()` says how many GPUs
# PyTorch can see (0 on a laptop without one). Code that should run everywhere asks for a GPU and
# falls back to the CPU when there is none, so the same notebook works on Colab and at home.
#
# `x.to(device)` returns a copy of `x` on that device (or `x` itself if it is already there).
# Every tensor taking part in one operation must live on the same device: multiplying a CUDA
# tensor by a CPU tensor fails with an error such as
# `expected device cuda:0 but got device cpu`. To draw or save a result, bring it back with
# `x.cpu()` first.
#
# ## Moving whole structures
#
# A batch is often not one tensor but a tuple `(images, labels)`, a dictionary of named inputs,
# or a list of those. A small recursive helper moves everything inside such a structure: it
# rebuilds lists, tuples, sets and dictionaries (keys *and* values) with their contents moved,
# calls `.to(device)` on anything that has that method (tensors, modules, ...), and returns
# everything else (numbers, strings, None) untouched. The container keeps its type: a tuple
# comes back as a tuple, a set as a set.
#
# ## Timing a matrix product honestly
#
# How much faster is the GPU? The usual experiment multiplies a 2048 x 2048 matrix by itself
# many times: one textbook measured 3.49 s for 100 products on its CPU and 0.13 s on a Colab
# GPU, a speed-up of about 25. Two traps make such figures wrong:
#
# * **Warm-up.** The first operation on a device pays one-off costs: starting the CUDA context,
#   loading the matrix-multiply library, picking a kernel. Run the product once before timing.
# * **Asynchrony.** A CUDA operation returns to Python as soon as it is *queued*, long before the
#   GPU has finished it. Timing `x @ x` without waiting measures only the queueing, and the
#   "speed-up" comes out absurdly large. `torch.cuda.synchronize()` waits until the GPU is done;
#   call it before reading the clock.
#
# With warm-up and synchronisation, time each product on its own with `time.perf_counter()` and
# report the median, which ignores the odd slow run caused by something else on the machine.
# A product of two n x n matrices costs about $2n^3$ floating-point operations, so a figure
# $t$ means a rate of $2n^3 / t$ FLOP/s: a handy sanity check, because no real device is faster
# than its hardware allows.
#
# ## What to write
#
# 1. `try_gpu(i=0)`: `torch.device(f"cuda:{i}")` if there are at least `i + 1` GPUs, otherwise
#    `torch.device("cpu")`.
# 2. `move_to(obj, device)`: the recursive mover described above.
# 3. `time_matmul(n, device, repeats=10)`: the median time in seconds of one product of an
#    n x n float32 matrix with itself on `device`, with a warm-up run and synchronisation.
# 4. `gpu_speedup(n=4096, repeats=10)`: time the product on the CPU and on `try_gpu()`, and
#    return `{"cpu_seconds": ..., "gpu_seconds": ..., "speedup": cpu_seconds / gpu_seconds}`;
#    raise `RuntimeError` when there is no GPU, since a speed-up of the CPU over itself means
#    nothing.

# %%
import statistics
import time
from typing import Any

import torch


# %%
def try_gpu(i: int = 0) -> torch.device:
    """The device cuda:i if at least i + 1 GPUs exist, else the CPU."""
    ### BEGIN SOLUTION
    # HINT: compare i with torch.cuda.device_count()
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")
    ### END SOLUTION


# %%
def move_to(obj: Any, device: torch.device | str) -> Any:
    """Move obj to `device`: recursively through lists, tuples, sets and dicts (keys and values),
    with .to(device) for anything that has it; other objects come back unchanged.
    Containers keep their type."""
    ### BEGIN SOLUTION
    # HINT: one isinstance branch per container type that calls move_to on the contents, then .to
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
    ### END SOLUTION


# %%
def _synchronize(device: torch.device) -> None:
    # CUDA calls return once queued; wait for the GPU before reading the clock.
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_matmul(n: int, device: torch.device | str, repeats: int = 10) -> float:
    """Median seconds of one (n x n) @ (n x n) float32 product on `device`,
    measured after a warm-up run and with synchronisation."""
    ### BEGIN SOLUTION
    # HINT: torch.rand on the device, one warm-up x @ x, then time each product (perf_counter + sync)
    device = torch.device(device)
    x = torch.rand(n, n, device=device)
    x @ x  # warm-up: context creation, library loading, kernel choice
    _synchronize(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        x @ x
        _synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)
    ### END SOLUTION


# %%
def gpu_speedup(n: int = 4096, repeats: int = 10) -> dict[str, float]:
    """{"cpu_seconds", "gpu_seconds", "speedup"} for an n x n matmul; RuntimeError without a GPU."""
    ### BEGIN SOLUTION
    # HINT: raise RuntimeError unless torch.cuda.is_available(), then call time_matmul twice
    if not torch.cuda.is_available():
        raise RuntimeError("no CUDA GPU is available, so there is no GPU speed-up to measure")
    cpu_seconds = time_matmul(n, "cpu", repeats)
    gpu_seconds = time_matmul(n, try_gpu(), repeats)
    return {"cpu_seconds": cpu_seconds, "gpu_seconds": gpu_seconds, "speedup": cpu_seconds / gpu_seconds}
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# On a machine with a GPU (in Colab: Runtime > Change runtime type > GPU) the cell below prints
# the speed-up for a few sizes. Small matrices gain little or even lose: launching work on the
# GPU has a fixed cost that only large products amortise.

# %%
if __name__ == "__main__":
    print("device:", try_gpu())
    batch = {"images": torch.rand(2, 3), "labels": (torch.tensor([0, 1]), "names")}
    print(move_to(batch, try_gpu()))
    if torch.cuda.is_available():
        for size in (128, 512, 2048, 4096):
            result = gpu_speedup(size, repeats=5)
            print(f"n={size}: cpu {result['cpu_seconds'] * 1e3:.2f} ms, "
                  f"gpu {result['gpu_seconds'] * 1e3:.3f} ms, speed-up {result['speedup']:.1f}x")
    else:
        print(f"CPU only: one 1024 x 1024 product takes {time_matmul(1024, 'cpu', 5) * 1e3:.1f} ms")
