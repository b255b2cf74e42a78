"""Wrong: with_column refuses negative j."""

import torch

VERDICT = "wrong"


def loop_mean(T):
    if T.numel() == 0:
        raise ValueError("empty tensor")

    def total(t):
        if t.dim() == 0:
            return t.item()
        acc = 0
        for i in range(t.shape[0]):
            acc += total(t[i])
        return acc

    return total(T) / T.numel()


def find_value(T, v):
    matches = (T == v).nonzero()
    if matches.shape[0] == 0:
        raise ValueError("value not found")
    return tuple(int(i) for i in matches[0])


def with_column(X, j, value):
    if j < 0 or j >= X.shape[1]:
        raise IndexError("column out of range")
    Y = X.clone()
    Y[:, j] = value
    return Y


def keep_above(X, t):
    return torch.where(X > t, X, torch.zeros_like(X))
