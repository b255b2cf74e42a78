"""Correct: loops over the examples, accumulating outer products of the per-example gradients."""

import torch

VERDICT = "correct"


def mlp_grads(X, y, W1, b1, W2, b2, lam=0.0):
    n = X.shape[0]
    gW1, gb1 = torch.zeros_like(W1), torch.zeros_like(b1)
    gW2, gb2 = torch.zeros_like(W2), torch.zeros_like(b2)
    total = torch.zeros((), dtype=X.dtype, device=X.device)
    for i in range(n):
        x = X[i]
        z = x @ W1 + b1
        h = torch.clamp(z, min=0)
        o = h @ W2 + b2
        m = o.max()
        e = torch.exp(o - m)
        total = total + (m + torch.log(e.sum()) - o[y[i]])
        g_o = e / e.sum()
        g_o[y[i]] = g_o[y[i]] - 1
        g_o = g_o / n
        gW2 += torch.outer(h, g_o)
        gb2 += g_o
        g_z = (W2 @ g_o) * (z > 0)
        gW1 += torch.outer(x, g_z)
        gb1 += g_z
    loss = total / n + lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    return {"loss": loss, "W1": gW1 + lam * W1, "b1": gb1, "W2": gW2 + lam * W2, "b2": gb2}
