"""Wrong: broadcast_shape adds two meta tensors and lets torch's RuntimeError through instead of raising ValueError."""

import torch

VERDICT = "wrong"


def broadcast_shape(a, b):
    return tuple((torch.empty(a, device="meta") + torch.empty(b, device="meta")).shape)


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
