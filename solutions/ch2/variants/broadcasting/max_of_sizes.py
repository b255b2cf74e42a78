"""Wrong: broadcast_shape checks conflicts but takes max(x, y), so a 1 against a 0 gives 1 instead of 0."""

import torch

VERDICT = "wrong"


def broadcast_shape(a, b):
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ValueError("shapes conflict")
        out.append(max(x, y))
    return tuple(out)


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
