# source: github.com/Undernoone/Deep_Learning_Practice__Li-Mu 01.Date_Operation.py lines 1-40 (rewritten for ch2.broadcasting)
# exercise: ch2.broadcasting
import itertools

import torch


def broadcast_shape(a, b):
    out = []
    for x, y in itertools.zip_longest(reversed(a), reversed(b), fillvalue=1):
        if x != y and 1 not in (x, y):
            raise ValueError(f"shapes {a} and {b} do not broadcast")
        out.append(max(x, y))
    return tuple(reversed(out))


def pairwise_distances(P, Q):
    diff = P[:, None, :] - Q[None, :, :]
    return (diff ** 2).sum(dim=-1).sqrt()


def row_normalize(A):
    return A / A.sum(dim=1, keepdim=True)


a = torch.arange(3).reshape((3, 1))
b = torch.arange(2).reshape((1, 2))
print(a + b)
