"""Correct: a plain 2-D corr2d per channel summed with sum(), kernels looped with a list, torch.matmul for 1x1."""

import torch

VERDICT = "correct"

def corr2d(X, K):
    h, w = X.shape
    kh, kw = K.shape
    if kh > h or kw > w:
        raise ValueError("kernel too large")
    return torch.stack([torch.stack([(X[i:i + kh, j:j + kw] * K).sum() for j in range(w - kw + 1)])
                        for i in range(h - kh + 1)])


def corr2d_multi_in(X, K):
    if len(X) != len(K):
        raise ValueError(f"{len(X)} input channels but {len(K)} kernel channels")
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    if K.shape[1] != X.shape[0]:
        raise ValueError("channel mismatch")
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    if K.shape[1] != c_i or K.shape[2] != 1 or K.shape[3] != 1:
        raise ValueError("bad kernel shape")
    return torch.matmul(K.view(c_o, c_i), X.view(c_i, h * w)).view(c_o, h, w)
