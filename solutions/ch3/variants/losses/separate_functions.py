"""Correct: each loss written out on its own with if/elif reductions and torch.abs / mul."""

import torch

VERDICT = "correct"


def _red(t, reduction):
    if reduction == "mean":
        return torch.mean(t)
    elif reduction == "sum":
        return torch.sum(t)
    elif reduction == "none":
        return t
    raise ValueError("reduction must be 'mean', 'sum' or 'none'")


def l1_loss(y_hat, y, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("bad reduction")
    if tuple(y_hat.shape) != tuple(y.shape):
        raise ValueError(f"shape mismatch {tuple(y_hat.shape)} vs {tuple(y.shape)}")
    return _red(torch.abs(torch.sub(y_hat, y)), reduction)


def mse_loss(y_hat, y, reduction="mean"):
    if y_hat.size() != y.size():
        raise ValueError("shape mismatch")
    d = y_hat - y
    return _red(d * d, reduction)


def huber_loss(y_hat, y, delta=1.0, reduction="mean"):
    if y_hat.shape != y.shape:
        raise ValueError("shape mismatch")
    if not delta > 0:
        raise ValueError("delta must be > 0")
    r = y_hat - y
    a = r.abs()
    small = a <= delta
    out = torch.empty_like(r)
    out[small] = 0.5 * r[small] ** 2
    out[~small] = delta * a[~small] - 0.5 * delta * delta
    return _red(out, reduction)
