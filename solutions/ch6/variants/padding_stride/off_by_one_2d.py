"""Wrong: the 2-D loops run over range(padded size - kernel size) with the stride, one position short."""

import torch

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


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def corr2d_pad_stride(X, K, padding=0, stride=1):
    ph, pw = _pair(padding)
    sh, sw = _pair(stride)
    h, w = X.shape
    kh, kw = K.shape
    conv_output_size(h, kh, ph, sh)
    conv_output_size(w, kw, pw, sw)
    P = torch.zeros((h + 2 * ph, w + 2 * pw), dtype=X.dtype, device=X.device)
    P[ph:ph + h, pw:pw + w] = X
    rows = []
    for i in range(0, P.shape[0] - kh, sh):
        rows.append(torch.stack([(P[i:i + kh, j:j + kw] * K).sum() for j in range(0, P.shape[1] - kw, sw)]))
    return torch.stack(rows)
