# source: github.com/HaoYuMacc/malicous_study 1/kddcup99-cnn-master/testPytorch.py lines 1-21 (rewritten for ch5.gpu)
# exercise: ch5.gpu
import subprocess
import time

import torch


class Benchmark:
    def __init__(self, prefix=None):
        self.prefix = prefix + ' ' if prefix else ''

    def __enter__(self):
        self.start = time.time()

    def __exit__(self, *args):
        print('%stime: %.4f sec' % (self.prefix, time.time() - self.start))


def try_gpu(i=0):
    return torch.device(f"cuda:{i}") if torch.cuda.device_count() > i else torch.device("cpu")


def move_to(obj, device):
    if torch.is_tensor(obj):
        return obj.to(device)
    if isinstance(obj, (list, tuple)):
        return type(obj)(move_to(x, device) for x in obj)
    if isinstance(obj, dict):
        return {key: move_to(value, device) for key, value in obj.items()}
    return obj


def time_matmul(n, device, repeats=10):
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    torch.matmul(a, b)
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
    t0 = time.time()
    for _ in range(repeats):
        torch.matmul(a, b)
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
    return (time.time() - t0) / repeats


def gpu_speedup(n=4096, repeats=10):
    print(subprocess.run(["nvidia-smi"], capture_output=True, text=True).stdout)
    t_cpu, t_gpu = time_matmul(n, "cpu", repeats), time_matmul(n, try_gpu(), repeats)
    return {"cpu": t_cpu, "gpu": t_gpu, "speedup": t_cpu / t_gpu}
