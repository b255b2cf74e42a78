"""Wrong: uses F.conv2d for the multi-channel cross-correlations, which the exercise forbids."""

import torch.nn.functional as F
import torch

VERDICT = "wrong"

def corr2d_multi_in(X, K):
    if K.shape[0] != X.shape[0]:
        raise ValueError("channel mismatch")
    return F.conv2d(X[None], K[None])[0, 0]


def corr2d_multi_in_out(X, K):
    if K.shape[1] != X.shape[0]:
        raise ValueError("channel mismatch")
    return F.conv2d(X[None], K)[0]


def corr2d_1x1(X, K):
    if K.shape[1] != X.shape[0] or K.shape[2:] != (1, 1):
        raise ValueError("need (co, ci, 1, 1) kernels")
    return F.conv2d(X[None], K)[0]
