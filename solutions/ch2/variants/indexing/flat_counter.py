"""Correct: one flat counter unravelled from the last dimension, explicit range checks, masked_fill."""

import torch

VERDICT = "correct"


def _unravel(flat, shape):
    index = []
    for size in reversed(shape):
        flat, r = divmod(flat, size)
        index.append(r)
    return tuple(reversed(index))


def loop_mean(T):
    n = T.numel()
    if n == 0:
        raise ValueError("the mean of an empty tensor is undefined")
    acc = 0
    for f in range(n):
        acc += T[_unravel(f, T.shape)].item()
    return acc / n


def find_value(T, v):
    for f in range(T.numel()):
        index = _unravel(f, T.shape)
        if T[index].item() == v:
            return index
    raise ValueError(f"{v} not found")


def with_column(X, j, value):
    n = X.shape[1]
    if not -n <= j < n:
        raise IndexError(f"column {j} out of range for {n} columns")
    Y = X.clone()
    Y[:, j % n] = value
    return Y


def keep_above(X, t):
    return X.masked_fill(X <= t, 0)
