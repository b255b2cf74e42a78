"""Wrong: conv_output_size rounds up (math.ceil), counting a last incomplete window."""

import torch
import math

VERDICT = "wrong"

def conv_output_size(n, k, padding=0, stride=1):
    if stride < 1 or padding < 0 or k > n + 2 * padding:
        raise ValueError("bad arguments")
    return math.ceil((n - k + 2 * padding) / stride) + 1

def corr1d(x, k):
    n, m = x.shape[0], k.shape[0]
    if m > n:
        raise ValueError("kernel longer than signal")
    out = n - m + 1
    y = torch.zeros(out, dtype=x.dtype, device=x.device)
    for j in range(m):
        y = y + k[j] * x[j:j + out]
    return y

def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def corr2d_pad_stride(X, K, padding=0, stride=1):
    ph, pw = _pair(padding)
    sh, sw = _pair(stride)
    h, w = X.shape
    kh, kw = K.shape
    out_h, out_w = conv_output_size(h, kh, ph, sh), conv_output_size(w, kw, pw, sw)
    P = torch.zeros((h + 2 * ph, w + 2 * pw), dtype=X.dtype, device=X.device)
    P[ph:ph + h, pw:pw + w] = X
    Y = torch.zeros((out_h, out_w), dtype=X.dtype, device=X.device)
    for a in range(kh):
        for b in range(kw):
            Y = Y + K[a, b] * P[a:a + sh * (out_h - 1) + 1:sh, b:b + sw * (out_w - 1) + 1:sw]
    return Y
