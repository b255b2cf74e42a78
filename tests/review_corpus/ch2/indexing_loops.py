# source: github.com/Undernoone/Deep_Learning_Practice__Li-Mu 1.Date_Operation.py lines 1-40 (rewritten for ch2.indexing)
# exercise: ch2.indexing
import torch


def loop_mean(T):
    total, count = 0.0, 0
    for value in T.flatten():
        total += float(value)
        count += 1
    return total / count


def find_value(T, v):
    for index in torch.nonzero(T == v):
        return tuple(int(i) for i in index)
    raise ValueError(f"{v} is not in the tensor")


def with_column(X, j, value):
    Y = X.clone()
    Y[:, j] = value
    return Y


def keep_above(X, t):
    return X[X > t]
