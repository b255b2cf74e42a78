"""Wrong: corr2d_pad_stride calls F.conv2d, which the exercise forbids."""

import torch
import torch.nn.functional as F

VERDICT = "wrong"

def conv_output_size(n, k, padding=0, stride=1):
    if stride < 1:
        raise ValueError("stride must be at least 1")
    if padding < 0:
        raise ValueError("padding must not be negative")
    if k > n + 2 * padding:
        raise ValueError("kernel does not fit")
    return (n - k + 2 * padding) // stride + 1

def corr1d(x, k):
    n, m = x.shape[0], k.shape[0]
    if m > n:
        raise ValueError("kernel longer than signal")
    out = n - m + 1
    y = torch.zeros(out, dtype=x.dtype, device=x.device)
    for j in range(m):
        y = y + k[j] * x[j:j + out]
    return y


def corr2d_pad_stride(X, K, padding=0, stride=1):
    return F.conv2d(X[None, None], K[None, None], padding=padding, stride=stride)[0, 0]
