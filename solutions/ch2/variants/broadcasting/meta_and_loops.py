"""Correct: broadcast_shape from two meta tensors (RuntimeError turned into ValueError), distances one Q point at a time, rows by a column of sums."""

import torch

VERDICT = "correct"


def broadcast_shape(a, b):
    try:
        out = torch.empty(a, device="meta") + torch.empty(b, device="meta")
    except RuntimeError as err:
        raise ValueError(f"shapes {a} and {b} conflict: {err}") from None
    return tuple(out.shape)


def pairwise_distances(P, Q):
    if P.ndim != 2 or Q.ndim != 2:
        raise ValueError("P and Q must be 2-D")
    if P.shape[1] != Q.shape[1]:
        raise ValueError("P and Q hold points of different dimensions")
    columns = [((P - q) ** 2).sum(dim=1).sqrt() for q in Q]
    return torch.stack(columns, dim=1)


def row_normalize(A):
    sums = A.sum(dim=1)
    if torch.any(sums == 0):
        raise ValueError("cannot normalise a row that sums to 0")
    return torch.div(A, sums[:, None])
