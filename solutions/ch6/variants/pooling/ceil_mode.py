"""Wrong: rounds the number of windows up and pools a last, partial window (ceil_mode=True)."""

import math

import torch

VERDICT = "wrong"

def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)

def pool2d(X, pool_size, mode="max", stride=None, padding=0):
    if mode not in ("max", "avg"):
        raise ValueError("unknown mode")
    kh, kw = _pair(pool_size)
    sh, sw = (kh, kw) if stride is None else _pair(stride)
    ph, pw = _pair(padding)
    if sh < 1 or sw < 1 or ph < 0 or pw < 0:
        raise ValueError("bad stride or padding")
    h, w = X.shape[-2:]
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise ValueError("empty output")
    out_h = math.ceil((h - kh + 2 * ph) / sh) + 1
    out_w = math.ceil((w - kw + 2 * pw) / sw) + 1
    fill = float("-inf") if mode == "max" else 0.0
    P = torch.full((*X.shape[:-2], h + 2 * ph, w + 2 * pw), fill, dtype=X.dtype, device=X.device)
    P[..., ph:ph + h, pw:pw + w] = X
    Y = torch.empty((*X.shape[:-2], out_h, out_w), dtype=X.dtype, device=X.device)
    for i in range(out_h):
        for j in range(out_w):
            win = P[..., i * sh:i * sh + kh, j * sw:j * sw + kw]
            Y[..., i, j] = win.amax(dim=(-2, -1)) if mode == "max" else win.sum(dim=(-2, -1)) / (kh * kw)
    return Y


def global_avg_pool(X):
    return X.mean(dim=(-2, -1))
