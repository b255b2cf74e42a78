"""Wrong: text_labels always returns a list (one int fails, a 0-d tensor gives a list)."""

import torch

VERDICT = "wrong"
from torch.utils.data import Dataset

NAMES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]


def _one(i):
    i = int(i)
    if i < 0 or i > 9:
        raise IndexError(i)
    return NAMES[i]


def text_labels(indices):
    if isinstance(indices, int):
        return [_one(indices)]
    if isinstance(indices, torch.Tensor):
        return [_one(i) for i in indices.reshape(-1)]
    return [_one(i) for i in indices]


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
    return -(-n // batch_size)


def split_sizes(n, train_fraction):
    if n < 0 or train_fraction < 0 or train_fraction > 1:
        raise ValueError("bad arguments")
    k = int(n * train_fraction)
    return (k, n - k)
