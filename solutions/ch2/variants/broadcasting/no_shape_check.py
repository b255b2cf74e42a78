"""Wrong: pairwise_distances does not check the shapes, so a mismatch ends in torch's RuntimeError (or a wrong broadcast)."""

import torch

VERDICT = "wrong"


def broadcast_shape(a, b):
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise ValueError("shapes conflict")
    return tuple(out)


def pairwise_distances(P, Q):
    diff = P[:, None, :] - Q[None, :, :]
    return (diff * diff).sum(dim=-1).sqrt()


def row_normalize(A):
    sums = A.sum(dim=1, keepdim=True)
    if bool((sums == 0).any()):
        raise ValueError("a row sums to 0")
    return A / sums
