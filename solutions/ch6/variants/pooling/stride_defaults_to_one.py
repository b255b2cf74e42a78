"""Wrong: stride=None means stride 1 (overlapping windows), not the pool size."""

import torch

VERDICT = "wrong"

def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)

def pool2d(X, pool_size, mode="max", stride=None, padding=0):
    if mode not in ("max", "avg"):
        raise ValueError("unknown mode")
    kh, kw = _pair(pool_size)
    sh, sw = (1, 1) if stride is None else _pair(stride)
    ph, pw = _pair(padding)
    if sh < 1 or sw < 1 or ph < 0 or pw < 0:
        raise ValueError("bad stride or padding")
    h, w = X.shape[-2:]
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise ValueError("empty output")
    out_h = (h - kh + 2 * ph) // sh + 1
    out_w = (w - kw + 2 * pw) // sw + 1
    fill = float("-inf") if mode == "max" else 0.0
    P = torch.full((*X.shape[:-2], h + 2 * ph, w + 2 * pw), fill, dtype=X.dtype, device=X.device)
    P[..., ph:ph + h, pw:pw + w] = X
    Y = None
    for a in range(kh):
        for b in range(kw):
            part = P[..., a:a + sh * (out_h - 1) + 1:sh, b:b + sw * (out_w - 1) + 1:sw]
            if Y is None:
                Y = part
            elif mode == "max":
                Y = torch.maximum(Y, part)
            else:
                Y = Y + part
    if mode == "avg":
        Y = Y / (kh * kw)
    return Y


def global_avg_pool(X):
    return X.mean(dim=(-2, -1))
