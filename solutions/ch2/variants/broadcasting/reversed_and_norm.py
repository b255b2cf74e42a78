"""Correct: broadcast_shape walks the reversed shapes with a fill value, distances via vector norms of broadcast differences."""

import torch

VERDICT = "correct"


from itertools import zip_longest


def broadcast_shape(a, b):
    out = []
    for x, y in zip_longest(reversed(a), reversed(b), fillvalue=1):
        if x != y and x != 1 and y != 1:
            raise ValueError(f"cannot broadcast {x} against {y}")
        out.append(y if x == 1 else x)
    return tuple(out[::-1])


def pairwise_distances(P, Q):
    if len(P.shape) != 2 or len(Q.shape) != 2 or P.shape[-1] != Q.shape[-1]:
        raise ValueError("expected P (n, d) and Q (m, d)")
    return (P.unsqueeze(1) - Q.unsqueeze(0)).norm(dim=-1)


def row_normalize(A):
    sums = A.sum(dim=-1, keepdim=True)
    if (sums == 0).any().item():
        raise ValueError("zero row")
    return A / sums
