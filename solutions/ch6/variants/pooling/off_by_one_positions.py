"""Wrong: counts (n - k + 2p) // s positions per axis, forgetting the + 1 (the seeds' range(n - k) loop)."""

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
    fill = float("-inf") if mode == "max" else 0.0
    P = torch.full((*X.shape[:-2], h + 2 * ph, w + 2 * pw), fill, dtype=X.dtype, device=X.device)
    P[..., ph:ph + h, pw:pw + w] = X
    rows = []
    for i in range(0, P.shape[-2] - kh, sh):
        row = []
        for j in range(0, P.shape[-1] - kw, sw):
            win = P[..., i:i + kh, j:j + kw]
            row.append(win.amax(dim=(-2, -1)) if mode == "max" else win.mean(dim=(-2, -1)))
        if not row:
            raise ValueError("empty output")
        rows.append(torch.stack(row, dim=-1))
    if not rows:
        raise ValueError("empty output")
    return torch.stack(rows, dim=-2)


def global_avg_pool(X):
    return X.mean(dim=(-2, -1))
