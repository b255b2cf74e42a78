"""Wrong: broadcast_shape zips the reversed shapes without padding, so the longer shape's leading dimensions are lost."""

import torch

VERDICT = "wrong"


def broadcast_shape(a, b):
    out = []
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            raise ValueError("shapes conflict")
        out.append(y if x == 1 else x)
    return tuple(reversed(out))


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
