"""Wrong: broadcast_shape calls torch.broadcast_shapes, which the exercise forbids."""

import torch

VERDICT = "wrong"


def broadcast_shape(a, b):
    try:
        return tuple(torch.broadcast_shapes(a, b))
    except RuntimeError as err:
        raise ValueError(str(err)) from None


def pairwise_distances(P, Q):
    if P.dim() != 2 or Q.dim() != 2 or P.shape[1] != Q.shape[1]:
        raise ValueError("P and Q must be (n, d) and (m, d)")
    diff = P[:, None, :] - Q[None, :, :]
    return (diff * diff).sum(dim=2).sqrt()


def row_normalize(A):
    sums = A.sum(dim=1, keepdim=True)
    if bool((sums == 0).any()):
        raise ValueError("a row sums to 0")
    return A / sums
