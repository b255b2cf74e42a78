"""Wrong: hand_graph computes x + y * z (operator precedence) and differentiates that."""

import math

import torch

VERDICT = "wrong"


def gradient(f, x):
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError("gradient needs a floating-point tensor")
    with torch.enable_grad():
        leaf = x.detach().clone().requires_grad_(True)
        f(leaf).sum().backward()
    return leaf.grad


def detached_product_grad(x):
    with torch.enable_grad():
        leaf = x.detach().clone().requires_grad_(True)
        u = (leaf * leaf).detach()
        (u * leaf).sum().backward()
    return leaf.grad


def hand_graph(x, y, z):
    return {"f": x + y * z, "dx": torch.ones_like(x), "dy": z.clone(), "dz": y.clone()}


def minimize_1d(f, x0, lr=0.1, eps=1e-5, max_steps=10_000):
    x = torch.tensor(float(x0), dtype=torch.float64)
    for steps in range(1, max_steps + 1):
        step = lr * gradient(f, x)
        x = x - step
        if not math.isfinite(float(x)):
            raise RuntimeError("diverged")
        if abs(float(step)) < eps:
            return float(x), steps
    raise RuntimeError("did not converge")
