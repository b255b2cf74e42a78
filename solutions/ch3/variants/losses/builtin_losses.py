"""Wrong: calls torch.nn.functional's losses, which the exercise forbids."""

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
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}")
    if y_hat.shape != y.shape:
        raise ValueError("shapes differ")


def l1_loss(y_hat, y, reduction="mean"):
    _check(y_hat, y, reduction)
    return torch.nn.functional.l1_loss(y_hat, y, reduction=reduction)


def mse_loss(y_hat, y, reduction="mean"):
    _check(y_hat, y, reduction)
    return torch.nn.functional.mse_loss(y_hat, y, reduction=reduction)


def huber_loss(y_hat, y, delta=1.0, reduction="mean"):
    _check(y_hat, y, reduction)
    if delta <= 0:
        raise ValueError("delta must be positive")
    r = (y_hat - y).abs()
    return torch.nn.functional.huber_loss(y_hat, y, delta=delta, reduction=reduction)
