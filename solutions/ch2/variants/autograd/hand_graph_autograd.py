"""Wrong: hand_graph asks autograd for the derivatives, which fails under no_grad."""

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
    leaves = [t.detach().clone().requires_grad_(True) for t in (x, y, z)]
    f = (leaves[0] + leaves[1]) * leaves[2]
    f.sum().backward()
    return {"f": f.detach(), "dx": leaves[0].grad, "dy": leaves[1].grad, "dz": leaves[2].grad}


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
