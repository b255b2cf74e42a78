"""Correct: F.pad with -inf or 0, Tensor.unfold over the last two axes with the stride as step, then amax or mean."""

import torch.nn.functional as F
import torch

VERDICT = "correct"

def pool2d(X, pool_size, mode="max", stride=None, padding=0):
    if mode not in ("max", "avg"):
        raise ValueError(f"unknown mode {mode!r}")
    kh, kw = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    if stride is None:
        sh, sw = kh, kw
    else:
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    if min(kh, kw, sh, sw) < 1 or min(ph, pw) < 0:
        raise ValueError("pool size and stride must be >= 1 and padding >= 0")
    if kh > X.shape[-2] + 2 * ph or kw > X.shape[-1] + 2 * pw:
        raise ValueError("the window does not fit: empty output")
    value = float("-inf") if mode == "max" else 0.0
    P = F.pad(X, (pw, pw, ph, ph), value=value)
    windows = P.unfold(-2, kh, sh).unfold(-2, kw, sw)   # (..., out_h, out_w, kh, kw)
    return windows.amax(dim=(-2, -1)) if mode == "max" else windows.mean(dim=(-2, -1))


def global_avg_pool(X):
    return X.sum(dim=(2, 3)) / (X.shape[2] * X.shape[3])
