"""Wrong: an unknown reduction silently falls back to the mean instead of raising ValueError."""

import torch

VERDICT = "wrong"

REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses, reduction):
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.mean()


def _check(y_hat, y, reduction):
    if y_hat.shape != y.shape:
        raise ValueError("shapes differ")


def l1_loss(y_hat, y, reduction="mean"):
    _check(y_hat, y, reduction)
    return _reduce((y_hat - y).abs(), reduction)


def mse_loss(y_hat, y, reduction="mean"):
    _check(y_hat, y, reduction)
    return _reduce((y_hat - y) ** 2, reduction)


def huber_loss(y_hat, y, delta=1.0, reduction="mean"):
    _check(y_hat, y, reduction)
    if delta <= 0:
        raise ValueError("delta must be positive")
    r = (y_hat - y).abs()
    return _reduce(torch.where(r <= delta, 0.5 * r * r, delta * (r - 0.5 * delta)), reduction)
