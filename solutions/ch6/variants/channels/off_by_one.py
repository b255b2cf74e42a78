"""Wrong: the seeds' range(h - kh) loops, one row and one column of positions short."""

import torch

VERDICT = "wrong"

def corr2d_multi_in(X, K):
    ci, h, w = X.shape
    kc, kh, kw = K.shape
    if kc != ci:
        raise ValueError("channel mismatch")
    if kh > h or kw > w:
        raise ValueError("kernel too large")
    Y = torch.zeros((h - kh, w - kw), dtype=X.dtype, device=X.device)
    for i in range(h - kh):
        for j in range(w - kw):
            Y[i, j] = (X[:, i:i + kh, j:j + kw] * K).sum()
    return Y


def corr2d_multi_in_out(X, K):
    if K.shape[1] != X.shape[0]:
        raise ValueError("channel mismatch")
    return torch.stack([corr2d_multi_in(X, k) for k in K])


def corr2d_1x1(X, K):
    ci, h, w = X.shape
    co, kc, kh, kw = K.shape
    if kc != ci or (kh, kw) != (1, 1):
        raise ValueError("need (co, ci, 1, 1) kernels")
    return (K.reshape(co, ci) @ X.reshape(ci, h * w)).reshape(co, h, w)
