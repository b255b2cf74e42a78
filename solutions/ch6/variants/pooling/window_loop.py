"""Correct: loops over the output positions, reducing each (padded) window over the last two axes; 2-D inputs become a batch."""

import torch

VERDICT = "correct"

def pool2d(X, pool_size, mode="max", stride=None, padding=0):
    if mode not in ("max", "avg"):
        raise ValueError("mode must be 'max' or 'avg'")
    if X.dim() == 2:
        return pool2d(X[None, None], pool_size, mode, stride, padding)[0, 0]
    kh, kw = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    sh, sw = (kh, kw) if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    if kh <= 0 or kw <= 0 or sh <= 0 or sw <= 0 or ph < 0 or pw < 0:
        raise ValueError("bad pool size, stride or padding")
    N, C, h, w = X.shape
    out_h = (h + 2 * ph - kh) // sh + 1
    out_w = (w + 2 * pw - kw) // sw + 1
    if kh > h + 2 * ph or kw > w + 2 * pw or out_h < 1 or out_w < 1:
        raise ValueError("empty output")
    P = X.new_full((N, C, h + 2 * ph, w + 2 * pw), float("-inf") if mode == "max" else 0.0)
    P[:, :, ph:ph + h, pw:pw + w] = X
    rows = []
    for i in range(out_h):
        cols = []
        for j in range(out_w):
            win = P[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(N, C, -1)
            cols.append(win.max(dim=-1).values if mode == "max" else win.sum(dim=-1) / (kh * kw))
        rows.append(torch.stack(cols, dim=-1))
    return torch.stack(rows, dim=-2)


def global_avg_pool(X):
    return X.flatten(2).mean(dim=2)
