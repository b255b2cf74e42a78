"""Wrong: minimize_1d keeps one leaf and never zeroes x.grad, so the gradients of all steps add up."""

import math

import torch

VERDICT = "wrong"


def gradient(f, x):
    if not x.is_floating_point():
        raise ValueError("need a float tensor")
    copy = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        f(copy).sum().backward()
    return copy.grad


def detached_product_grad(x):
    copy = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        u = (copy * copy).detach()
        (u * copy).sum().backward()
    return copy.grad


def hand_graph(x, y, z):
    q = x + y
    return {"f": q * z, "dx": z, "dy": z, "dz": q}


def minimize_1d(f, x0, lr=0.1, eps=1e-5, max_steps=10_000):
    x = torch.tensor(float(x0), dtype=torch.float64, requires_grad=True)
    for steps in range(1, max_steps + 1):
        f(x).backward()
        step = lr * x.grad
        with torch.no_grad():
            x -= step
        if not math.isfinite(x.item()):
            raise RuntimeError("diverged")
        if abs(step.item()) < eps:
            return x.item(), steps
    raise RuntimeError("no convergence")
