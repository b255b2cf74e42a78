"""Correct: torch.func.grad for the gradients (no .grad anywhere); the minimiser reuses gradient()."""

import math

import torch
from torch.func import grad

VERDICT = "correct"


def gradient(f, x):
    if x.dtype not in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        raise ValueError("x must be a floating-point tensor")
    with torch.enable_grad():
        return grad(lambda t: f(t).sum())(x.detach())


def detached_product_grad(x):
    def z(t):
        u = (t * t).detach()
        return (u * t).sum()
    with torch.enable_grad():
        return grad(z)(x.detach())


def hand_graph(x, y, z):
    return {"f": (x + y) * z, "dx": z.clone(), "dy": z.clone(), "dz": x + y}


def minimize_1d(f, x0, lr=0.1, eps=1e-5, max_steps=10_000):
    x = torch.tensor(x0, dtype=torch.float64)
    steps = 0
    while steps < max_steps:
        steps += 1
        delta = lr * gradient(f, x)
        x = x - delta
        if not math.isfinite(x.item()):
            break
        if delta.abs().item() < eps:
            return x.item(), steps
    raise RuntimeError("gradient descent did not converge")
