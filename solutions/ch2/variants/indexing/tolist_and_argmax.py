"""Correct: a loop over tolist() values, argmax of the flat matches, a clone zeroed through a mask."""

import torch

VERDICT = "correct"


def loop_mean(T):
    values = T.flatten().tolist()
    if not values:
        raise ValueError("empty tensor")
    acc = 0
    for x in values:
        acc += x
    return acc / len(values)


def find_value(T, v):
    hits = (T.reshape(-1) == v)
    if not bool(hits.any()):
        raise ValueError(f"{v} not in T")
    flat = int(hits.int().argmax())
    index = []
    for size in reversed(T.shape):
        flat, r = divmod(flat, size)
        index.append(r)
    return tuple(index[::-1])


def with_column(X, j, value):
    Y = X.detach().clone()
    Y[:, j] = value
    return Y


def keep_above(X, t):
    Y = X.clone()
    Y[Y <= t] = 0
    return Y
