"""Correct: names from a dict, tensors converted with tolist(), ceil through math.ceil."""

import math

import torch

VERDICT = "correct"
from torch.utils.data import Dataset

NAMES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]


TABLE = dict(enumerate(NAMES))


def _one(i):
    try:
        return TABLE[int(i)]
    except KeyError:
        raise IndexError(f'no class {int(i)}') from None


def text_labels(indices):
    if isinstance(indices, torch.Tensor):
        indices = indices.tolist()
    if isinstance(indices, (list, tuple)):
        return [_one(i) for i in indices]
    return _one(indices)


class ArrayDataset(Dataset):
    def __init__(self, X, y):
        if X.shape[0] != y.shape[0]:
            raise ValueError("X and y differ in length")
        self.X = X.float()
        self.y = y.long()

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, i):
        return self.X[i], self.y[i]


def num_batches(n, batch_size, drop_last=False):
    if batch_size < 1 or n < 0:
        raise ValueError("bad arguments")
    if drop_last:
        return n // batch_size
    return math.ceil(n / batch_size) if n < 2**50 else -(-n // batch_size)


def split_sizes(n, train_fraction):
    if n < 0 or train_fraction < 0 or train_fraction > 1:
        raise ValueError("bad arguments")
    k = int(n * train_fraction)
    return (k, n - k)
