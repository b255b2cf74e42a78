"""Wrong: corr2d_multi_in_out reads K as (ci, co, kh, kw), taking the kernels for output o from K[:, o]."""

import torch

VERDICT = "wrong"

def corr2d_multi_in(X, K):
    ci, h, w = X.shape
    kc, kh, kw = K.shape
    if kc != ci:
        raise ValueError("channel mismatch")
    if kh > h or kw > w:
        raise ValueError("kernel too large")
    oh, ow = h - kh + 1, w - kw + 1
    Y = torch.zeros((oh, ow), dtype=X.dtype, device=X.device)
    for a in range(kh):
        for b in range(kw):
            Y = Y + (K[:, a, b].reshape(ci, 1, 1) * X[:, a:a + oh, b:b + ow]).sum(dim=0)
    return Y


def corr2d_multi_in_out(X, K):
    if K.shape[0] != X.shape[0]:
        raise ValueError("channel mismatch")
    return torch.stack([corr2d_multi_in(X, K[:, o]) for o in range(K.shape[1])])


def corr2d_1x1(X, K):
    ci, h, w = X.shape
    co, kc, kh, kw = K.shape
    if kc != ci or (kh, kw) != (1, 1):
        raise ValueError("need (co, ci, 1, 1) kernels")
    return (K.reshape(co, ci) @ X.reshape(ci, h * w)).reshape(co, h, w)
