"""Correct: each row of W is a zero image with K stamped at the window; Pascal's triangle; convolve2d loops over outputs with reversed indices."""

import math

import torch

VERDICT = "correct"

def blur_kernel(k=3):
    if k < 1:
        raise ValueError("k must be at least 1")
    K = torch.ones(k, k)
    K = K / K.numel()
    return K


def edge_kernel():
    K = torch.full((3, 3), -1.0)
    K[1, 1] = 8
    return K


def horizontal_edge_kernel():
    K = torch.zeros(3, 3)
    K[0] = -1
    K[2] = 1
    return K


def difference_kernel(order):
    if order < 0:
        raise ValueError("negative order")
    row = [1]
    for _ in range(order):
        row = [1] + [row[i] + row[i + 1] for i in range(len(row) - 1)] + [1]
    signs = [1 if j % 2 == 0 else -1 for j in range(order + 1)]
    return torch.tensor([[float(s * c) for s, c in zip(signs, row)]])


def corr2d_as_matmul(in_shape, K):
    h, w = in_shape
    kh, kw = K.shape
    if kh > h or kw > w:
        raise ValueError("kernel does not fit")
    oh, ow = h - kh + 1, w - kw + 1
    W = torch.zeros((oh, ow, h, w), dtype=K.dtype, device=K.device)
    for i in range(oh):
        for j in range(ow):
            W[i, j, i:i + kh, j:j + kw] = K
    return W.reshape(oh * ow, h * w)


def convolve2d(X, K):
    h, w = X.shape
    kh, kw = K.shape
    if kh > h or kw > w:
        raise ValueError("kernel does not fit")
    R = K[torch.arange(kh - 1, -1, -1)][:, torch.arange(kw - 1, -1, -1)]
    return torch.stack([torch.stack([(X[i:i + kh, j:j + kw] * R).sum() for j in range(w - kw + 1)])
                        for i in range(h - kh + 1)])
