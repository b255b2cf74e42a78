"""Correct: F.unfold (im2col) turns the windows into columns and one matrix product does all output channels."""

import torch.nn.functional as F
import torch

VERDICT = "correct"

def corr2d_multi_in_out(X, K):
    co, kc, kh, kw = K.shape
    ci, h, w = X.shape
    if kc != ci:
        raise ValueError("channel mismatch")
    if kh > h or kw > w:
        raise ValueError("kernel too large")
    cols = F.unfold(X[None], (kh, kw))[0]              # (ci * kh * kw, oh * ow)
    return (K.reshape(co, -1) @ cols).reshape(co, h - kh + 1, w - kw + 1)


def corr2d_multi_in(X, K):
    if K.shape[0] != X.shape[0]:
        raise ValueError("channel mismatch")
    return corr2d_multi_in_out(X, K[None])[0]


def corr2d_1x1(X, K):
    if K.shape[1] != X.shape[0] or K.shape[-2:] != (1, 1):
        raise ValueError("need (co, ci, 1, 1) kernels")
    return (K.flatten(1) @ X.flatten(1)).unflatten(1, X.shape[1:])
