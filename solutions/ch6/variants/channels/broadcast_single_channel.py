"""Wrong: no channel check, so a single channel on either side is broadcast instead of rejected."""

import torch

VERDICT = "wrong"

def corr2d_multi_in(X, K):
    h, w = X.shape[1:]
    kh, kw = K.shape[1:]
    if kh > h or kw > w:
        raise ValueError("kernel too large")
    oh, ow = h - kh + 1, w - kw + 1
    Y = torch.zeros((oh, ow), dtype=X.dtype, device=X.device)
    for a in range(kh):
        for b in range(kw):
            Y = Y + (K[:, a, b, None, None] * X[:, a:a + oh, b:b + ow]).sum(dim=0)
    return Y


def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K])


def corr2d_1x1(X, K):
    if K.shape[2:] != (1, 1):
        raise ValueError("need 1x1 kernels")
    return (K[:, :, 0, 0][:, :, None, None] * X[None]).sum(dim=1)
