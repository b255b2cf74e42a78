# source: github.com/print-happy/Handwritten-Digit-Recognition-using-Deep-Learning Learning/Weight_decay.py lines 1-32 (rewritten for ch3.losses)
# exercise: ch3.losses
import torch


def _reduce(losses, reduction):
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    raise ValueError(f"unknown reduction {reduction!r}")


def l1_loss(y_hat, y, reduction="mean"):
    return _reduce((y_hat - y).abs(), reduction)


def mse_loss(y_hat, y, reduction="mean"):
    return _reduce((y_hat - y) ** 2, reduction)


def huber_loss(y_hat, y, delta=1.0, reduction="mean"):
    err = (y_hat - y).abs()
    quad = 0.5 * err ** 2
    lin = delta * (err - 0.5 * delta)
    return _reduce(torch.where(err <= delta, quad, lin), reduction)
