"""Correct: ArrayDataset built on TensorDataset; num_batches with the seed's (n - 1) // b + 1 and math.floor."""

import torch

VERDICT = "correct"
import math

from torch.utils.data import TensorDataset

NAMES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]


def _one(i):
    i = int(i)
    if i < 0 or i > 9:
        raise IndexError(i)
    return NAMES[i]


def text_labels(indices):
    if isinstance(indices, int) or (isinstance(indices, torch.Tensor) and indices.dim() == 0):
        return _one(indices)
    return [_one(i) for i in indices]


class ArrayDataset(TensorDataset):
    def __init__(self, X, y):
        if len(X) != len(y):
            raise ValueError("X and y differ in length")
        super().__init__(X.to(torch.float32), y.to(torch.int64))


def num_batches(n, batch_size, drop_last=False):
    if batch_size < 1 or n < 0:
        raise ValueError("bad arguments")
    if drop_last:
        return math.floor(n / batch_size)
    return (n - 1) // batch_size + 1 if n else 0


def split_sizes(n, train_fraction):
    if n < 0 or train_fraction < 0 or train_fraction > 1:
        raise ValueError("bad arguments")
    k = int(n * train_fraction)
    return (k, n - k)
