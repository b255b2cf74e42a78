# source: github.com/Undernoone/Deep_Learning_Practice__Li-Mu 2.Automatic_differentiation.py lines 1-30 (rewritten for ch2.autograd)
# exercise: ch2.autograd
import torch


def gradient(f, x):
    x = x.detach().clone().requires_grad_(True)
    y = f(x)
    y.backward()
    return x.grad


def detached_product_grad(x):
    x = x.detach().clone().requires_grad_(True)
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    return x.grad


def hand_graph(x, y, z):
    a = x * y
    b = a + z
    out = b * b
    d_out_d_b = 2 * b
    return {"out": out, "x": d_out_d_b * y, "y": d_out_d_b * x, "z": d_out_d_b}


def minimize_1d(f, x0, lr=0.1, eps=1e-5, max_steps=10_000):
    x = torch.tensor(float(x0), requires_grad=True)
    for step in range(max_steps):
        y = f(x)
        x.grad = None
        y.backward()
        with torch.no_grad():
            if abs(float(x.grad)) < eps:
                return float(x), step
            x -= lr * x.grad
    return float(x), max_steps
