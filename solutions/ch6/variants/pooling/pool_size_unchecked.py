"""Wrong: a pool size of 0 is not refused: with stride 1 the loops run zero times and the result is None (no ValueError)."""

import torch

VERDICT = "wrong"
LOSES_ONLY = ["test_bad_stride_or_padding"]

def _pair(value) -> tuple[int, int]:
    """An int as (value, value); a pair as a tuple."""
    return (value, value) if isinstance(value, int) else tuple(value)


def pool2d(X: torch.Tensor, pool_size, mode: str = "max", stride=None, padding=0) -> torch.Tensor:
    """Max- or average-pool the last two axes of X ((h, w) or (N, C, h, w)).

    `stride` defaults to the pool size. Max pads with -inf, avg pads with zeros that count.
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    kh, kw = _pair(pool_size)
    sh, sw = (kh, kw) if stride is None else _pair(stride)
    ph, pw = _pair(padding)
    if sh < 1 or sw < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must not be negative, got {padding}")
    h, w = X.shape[-2:]
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise ValueError(f"a {kh}x{kw} window does not fit in a {h}x{w} input padded by {(ph, pw)}: empty output")
    out_h = (h - kh + 2 * ph) // sh + 1
    out_w = (w - kw + 2 * pw) // sw + 1
    fill = float("-inf") if mode == "max" else 0.0
    padded = torch.full((*X.shape[:-2], h + 2 * ph, w + 2 * pw), fill, dtype=X.dtype, device=X.device)
    padded[..., ph:ph + h, pw:pw + w] = X
    Y = None
    # The slice starting at offset (a, b) with step (sh, sw) holds, for every window, the pixel
    # at that offset; combining the kh * kw slices pools all windows at once.
    for a in range(kh):
        for b in range(kw):
            part = padded[..., a:a + sh * (out_h - 1) + 1:sh, b:b + sw * (out_w - 1) + 1:sw]
            if Y is None:
                Y = part.clone()
            elif mode == "max":
                Y = torch.maximum(Y, part)
            else:
                Y = Y + part
    if mode == "avg":
        Y = Y / (kh * kw)
    return Y


def global_avg_pool(X: torch.Tensor) -> torch.Tensor:
    """The mean of every channel: (N, C, h, w) -> (N, C)."""
    return X.mean(dim=(-2, -1))
