# source: github.com/d2l-ai/d2l-en d2l/torch.py lines 156-165 (rewritten for ch3.data)
# exercise: ch3.data
import math
from typing import List

import torch
from torch.utils.data import Dataset


def text_labels(indices):
    """Text labels of Fashion-MNIST."""
    labels = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat',
              'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']
    return [labels[int(i)] for i in indices]


class ArrayDataset(Dataset):
    def __init__(self, X, y):
        if len(X) != len(y):
            raise ValueError("X and y must have the same length")
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, idx):
        return self.X[idx], self.y[idx]


def num_batches(n, batch_size, drop_last=False):
    return n // batch_size if drop_last else math.ceil(n / batch_size)


def split_sizes(n: int, train_fraction: float) -> List[int]:
    n_train = int(round(n * train_fraction))
    return n_train, n - n_train
