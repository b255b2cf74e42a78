"""Correct: F.pad, then Tensor.unfold with the stride as step and one einsum; corr1d by unfold and a matrix-vector product."""

import torch
import math

import torch.nn.functional as F

VERDICT = "correct"

def conv_output_size(n, k, padding=0, stride=1):
    if stride < 1 or padding < 0:
        raise ValueError("stride must be >= 1 and padding >= 0")
    if k > n + 2 * padding:
        raise ValueError("kernel does not fit")
    return math.floor((n - k + 2 * padding) / stride) + 1


def corr1d(x, k):
    if k.shape[0] > x.shape[0]:
        raise ValueError("kernel longer than signal")
    return x.unfold(0, k.shape[0], 1) @ k


def corr2d_pad_stride(X, K, padding=0, stride=1):
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    conv_output_size(X.shape[0], K.shape[0], ph, sh)
    conv_output_size(X.shape[1], K.shape[1], pw, sw)
    P = F.pad(X, (pw, pw, ph, ph))
    windows = P.unfold(0, K.shape[0], sh).unfold(1, K.shape[1], sw)   # (out_h, out_w, kh, kw)
    return torch.einsum("ijab,ab->ij", windows, K)
