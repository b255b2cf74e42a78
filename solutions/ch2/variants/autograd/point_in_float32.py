"""Wrong: minimize_1d keeps its point as a float32 tensor, not the float64 the contract asks for."""

import torch

VERDICT = "wrong"


def gradient(f, x):
    if not torch.is_floating_point(x):
        raise ValueError(f"cannot differentiate with respect to a {x.dtype} tensor")
    with torch.enable_grad():
        t = x.detach().clone().requires_grad_()
        (g,) = torch.autograd.grad(f(t).sum(), t)
    return g


def detached_product_grad(x):
    with torch.enable_grad():
        t = x.detach().clone().requires_grad_()
        u = t.detach() * t.detach()
        (g,) = torch.autograd.grad((u * t).sum(), t)
    return g


def hand_graph(x, y, z):
    s = x + y
    f = s * z
    df_ds = z
    return {"f": f, "dx": df_ds * torch.ones_like(x), "dy": df_ds * torch.ones_like(y), "dz": s}


def minimize_1d(f, x0, lr=0.1, eps=1e-5, max_steps=10_000):
    x = float(x0)
    for k in range(max_steps):
        t = torch.tensor(x, dtype=torch.float32, requires_grad=True)
        (g,) = torch.autograd.grad(f(t), t)
        step = lr * g.item()
        x -= step
        if x != x or abs(x) == float("inf"):
            raise RuntimeError(f"diverged at step {k + 1}")
        if abs(step) < eps:
            return x, k + 1
    raise RuntimeError(f"no convergence within {max_steps} steps")
