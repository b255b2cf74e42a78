"""Wrong: loop_mean calls torch's mean, which the exercise forbids."""

import torch

VERDICT = "wrong"


def loop_mean(T):
    if T.numel() == 0:
        raise ValueError("empty tensor")
    return T.double().mean().item()


def find_value(T, v):
    matches = (T == v).nonzero()
    if matches.shape[0] == 0:
        raise ValueError("value not found")
    return tuple(int(i) for i in matches[0])


def with_column(X, j, value):
    Y = X.clone()
    Y[:, j] = value
    return Y


def keep_above(X, t):
    return torch.where(X > t, X, torch.zeros_like(X))
