"""Correct: F.unfold (im2col) does padding and stride, then one matrix product with the flattened kernel."""

import torch
import torch.nn.functional as F

VERDICT = "correct"

def conv_output_size(n, k, padding=0, stride=1):
    if stride < 1:
        raise ValueError("stride must be at least 1")
    if padding < 0:
        raise ValueError("padding must not be negative")
    if k > n + 2 * padding:
        raise ValueError("kernel does not fit")
    return (n - k + 2 * padding) // stride + 1


def corr1d(x, k):
    if len(k) > len(x):
        raise ValueError("kernel longer than signal")
    cols = F.unfold(x.reshape(1, 1, 1, -1), (1, len(k)))      # (1, m, n - m + 1)
    return (k.reshape(1, -1) @ cols[0])[0]


def corr2d_pad_stride(X, K, padding=0, stride=1):
    ph, pw = (padding, padding) if isinstance(padding, int) else tuple(padding)
    sh, sw = (stride, stride) if isinstance(stride, int) else tuple(stride)
    h, w = X.shape
    kh, kw = K.shape
    out_h, out_w = conv_output_size(h, kh, ph, sh), conv_output_size(w, kw, pw, sw)
    cols = F.unfold(X[None, None], (kh, kw), padding=(ph, pw), stride=(sh, sw))[0]   # (kh*kw, L)
    return (K.reshape(1, -1) @ cols).reshape(out_h, out_w)
