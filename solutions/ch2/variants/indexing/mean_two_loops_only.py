"""Wrong: loop_mean has two nested loops, so it only works for matrices."""

import torch

VERDICT = "wrong"


def loop_mean(T):
    if T.numel() == 0:
        raise ValueError("empty tensor")
    acc = 0
    for i in range(T.shape[0]):
        for j in range(T.shape[1]):
            acc += T[i, j].item()
    return acc / T.numel()


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
