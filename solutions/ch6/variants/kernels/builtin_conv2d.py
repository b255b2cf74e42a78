"""Wrong: convolve2d calls F.conv2d on the flipped kernel, which the exercise forbids."""

import math

import torch.nn.functional as F
import torch

VERDICT = "wrong"

def blur_kernel(k=3):
    if k < 1:
        raise ValueError("k must be positive")
    return torch.ones(k, k) / (k * k)


def edge_kernel():
    K = -torch.ones(3, 3)
    K[1, 1] = 8.0
    return K


def horizontal_edge_kernel():
    return torch.tensor([[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])


def difference_kernel(order):
    if order < 0:
        raise ValueError("order must be >= 0")
    return torch.tensor([[(-1) ** j * math.comb(order, j) for j in range(order + 1)]], dtype=torch.float32)


def corr2d_as_matmul(in_shape, K):
    h, w = in_shape
    kh, kw = K.shape
    if kh > h or kw > w:
        raise ValueError("kernel does not fit")
    oh, ow = h - kh + 1, w - kw + 1
    W = torch.zeros((oh * ow, h * w), dtype=K.dtype, device=K.device)
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    W[i * ow + j, (i + a) * w + (j + b)] = K[a, b]
    return W


def convolve2d(X, K):
    if K.shape[0] > X.shape[0] or K.shape[1] > X.shape[1]:
        raise ValueError("kernel does not fit")
    return F.conv2d(X[None, None], K.flip(0, 1)[None, None])[0, 0]
