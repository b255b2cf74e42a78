# source: github.com/d2l-ai/d2l-en d2l/torch.py lines 322-333 (rewritten for ch5.gpu)
# exercise: ch5.gpu
import time

import torch


def try_gpu(i=0):  #@save
    """gpu(i) if it exists, else cpu()."""
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f'cuda:{i}')
    return torch.device('cpu')


def try_all_gpus():  #@save
    devices = [torch.device(f'cuda:{i}') for i in range(torch.cuda.device_count())]
    return devices if devices else [torch.device('cpu')]


def move_to(obj, device):
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {k: move_to(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(move_to(v, device) for v in obj)
    return obj


def time_matmul(n, device, repeats=10):
    device = torch.device(device)
    a = torch.randn(n, n, device=device)
    torch.mm(a, a)                      # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, a)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats


def gpu_speedup(n=4096, repeats=10):
    cpu = time_matmul(n, "cpu", repeats)
    gpu = time_matmul(n, try_gpu(), repeats)
    return {"cpu": cpu, "gpu": gpu, "speedup": cpu / gpu}
