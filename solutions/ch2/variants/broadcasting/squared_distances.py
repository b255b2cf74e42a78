"""Wrong: pairwise_distances forgets the square root."""

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
    if P.dim() != 2 or Q.dim() != 2 or P.shape[1] != Q.shape[1]:
        raise ValueError("P and Q must be (n, d) and (m, d)")
    diff = P[:, None, :] - Q[None, :, :]
    return (diff * diff).sum(dim=2)


def row_normalize(A):
    sums = A.sum(dim=1, keepdim=True)
    if bool((sums == 0).any()):
        raise ValueError("a row sums to 0")
    return A / sums
