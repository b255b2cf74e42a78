"""Wrong: global_avg_pool through a 3-D adaptive pool on an added axis (F.adaptive_avg_pool3d),
a built-in pool the exercise bans like the 2-D ones."""

import torch
import torch.nn.functional as F

VERDICT = "wrong"
LOSES_ONLY = ["test_global_avg_pool", "test_global_avg_pool_random", "test_global_avg_pool_dtype_and_device"]


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def pool2d(X, pool_size, mode="max", stride=None, padding=0):
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    kh, kw = _pair(pool_size)
    sh, sw = (kh, kw) if stride is None else _pair(stride)
    ph, pw = _pair(padding)
    if min(kh, kw, sh, sw) < 1 or min(ph, pw) < 0:
        raise ValueError("pool size and stride must be at least 1, padding not negative")
    h, w = X.shape[-2:]
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise ValueError("empty output")
    out_h, out_w = (h - kh + 2 * ph) // sh + 1, (w - kw + 2 * pw) // sw + 1
    padded = torch.full((*X.shape[:-2], h + 2 * ph, w + 2 * pw), float("-inf") if mode == "max" else 0.0,
                        dtype=X.dtype, device=X.device)
    padded[..., ph:ph + h, pw:pw + w] = X
    parts = [padded[..., a:a + sh * (out_h - 1) + 1:sh, b:b + sw * (out_w - 1) + 1:sw]
             for a in range(kh) for b in range(kw)]
    stacked = torch.stack(parts)
    return stacked.amax(dim=0) if mode == "max" else stacked.mean(dim=0)


def global_avg_pool(X):
    return F.adaptive_avg_pool3d(X.unsqueeze(2), (1, 1, 1)).reshape(X.shape[0], X.shape[1])
