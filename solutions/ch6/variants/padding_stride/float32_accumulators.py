"""Wrong: both sums start from torch.zeros(...) without a dtype: float64 inputs are promoted back, float16 ones come out float32."""

import torch

VERDICT = "wrong"
LOSES_ONLY = ["test_corr1d_dtype_and_device", "test_corr2d_dtype_device_input_unchanged"]

def conv_output_size(n: int, k: int, padding: int = 0, stride: int = 1) -> int:
    """Number of kernel positions along one axis: floor((n - k + 2 * padding) / stride) + 1.

    Raises ValueError when k > n + 2 * padding, stride < 1 or padding < 0.
    """
    if stride < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
    if padding < 0:
        raise ValueError(f"padding must not be negative, got {padding}")
    if k > n + 2 * padding:
        raise ValueError(f"a kernel of size {k} does not fit in {n} + 2 * {padding} positions")
    return int((n - k + 2 * padding) // stride + 1)


def corr1d(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Valid 1-D cross-correlation: y[i] = sum_j x[i + j] * k[j], of length len(x) - len(k) + 1."""
    n, m = x.shape[0], k.shape[0]
    if m > n:
        raise ValueError(f"a kernel of length {m} does not fit in a signal of length {n}")
    out = n - m + 1
    y = torch.zeros(out, device=x.device)
    for j in range(m):
        y = y + k[j] * x[j:j + out]
    return y


def corr2d_pad_stride(X: torch.Tensor, K: torch.Tensor, padding=0, stride=1) -> torch.Tensor:
    """2-D cross-correlation of X (h, w) with K (kh, kw), zero padding and a stride.

    `padding` and `stride` are ints or pairs (rows, columns). Returns a new tensor of shape
    (conv_output_size(h, kh, ph, sh), conv_output_size(w, kw, pw, sw)) with X's dtype and device.
    """
    ph, pw = (padding, padding) if isinstance(padding, int) else tuple(padding)
    sh, sw = (stride, stride) if isinstance(stride, int) else tuple(stride)
    h, w = X.shape
    kh, kw = K.shape
    out_h = conv_output_size(h, kh, ph, sh)
    out_w = conv_output_size(w, kw, pw, sw)
    padded = torch.zeros((h + 2 * ph, w + 2 * pw), dtype=X.dtype, device=X.device)
    padded[ph:ph + h, pw:pw + w] = X
    Y = torch.zeros((out_h, out_w), device=X.device)
    # One pass per kernel offset: the slice starting at (a, b) with step (sh, sw) holds the pixel
    # that K[a, b] meets at every output position.
    for a in range(kh):
        for b in range(kw):
            rows = slice(a, a + sh * (out_h - 1) + 1, sh)
            cols = slice(b, b + sw * (out_w - 1) + 1, sw)
            Y = Y + K[a, b] * padded[rows, cols]
    return Y
