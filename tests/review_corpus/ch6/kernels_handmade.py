# source: github.com/Bin-Ro/dive_into_deeplearning ch6/multi_in_ch/multi_in_ch.py lines 1-25 (rewritten for ch6.kernels)
# exercise: ch6.kernels
import math

import torch


def blur_kernel(k=3):
    return torch.full((k, k), 1.0 / (k * k))


def edge_kernel():
    return torch.tensor([[1.0, -1.0]])


def horizontal_edge_kernel():
    return edge_kernel().T


def difference_kernel(order):
    row = [(-1) ** i * math.comb(order, i) for i in range(order + 1)]
    return torch.tensor([row], dtype=torch.float32)


def _windows(X, kh, kw):
    oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    rows = [X[i:i + kh, j:j + kw].reshape(-1) for i in range(oh) for j in range(ow)]
    return torch.stack(rows), (oh, ow)


def corr2d_as_matmul(X, K):
    patches, (oh, ow) = _windows(X, *K.shape)
    out = (patches * K.reshape(1, -1)).sum(dim=1)
    return out.reshape(oh, ow)


def convolve2d(X, K):
    return corr2d_as_matmul(X, torch.flip(K, dims=(0, 1)))
