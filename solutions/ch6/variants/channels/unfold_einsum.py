"""Correct: all windows with Tensor.unfold, then einsum over channels and offsets; the 1x1 case as one einsum."""

import torch

VERDICT = "correct"

def _windows(X, kh, kw):
    if kh > X.shape[1] or kw > X.shape[2]:
        raise ValueError("kernel too large")
    return X.unfold(1, kh, 1).unfold(2, kw, 1)      # (ci, oh, ow, kh, kw)


def corr2d_multi_in(X, K):
    if X.shape[0] != K.shape[0]:
        raise ValueError("channel mismatch")
    return torch.einsum("cijab,cab->ij", _windows(X, K.shape[1], K.shape[2]), K)


def corr2d_multi_in_out(X, K):
    if X.shape[0] != K.shape[1]:
        raise ValueError("channel mismatch")
    return torch.einsum("cijab,ocab->oij", _windows(X, K.shape[2], K.shape[3]), K)


def corr2d_1x1(X, K):
    if X.shape[0] != K.shape[1] or tuple(K.shape[2:]) != (1, 1):
        raise ValueError("need (co, ci, 1, 1) kernels matching the input channels")
    return torch.einsum("oc,chw->ohw", K[:, :, 0, 0], X)
