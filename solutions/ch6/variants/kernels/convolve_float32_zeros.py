"""Wrong: convolve2d sums into torch.zeros(...) without a dtype: float64 inputs are promoted back, float16 ones come out float32."""

import math

import torch

VERDICT = "wrong"
LOSES_ONLY = ["test_convolve2d_dtype_device_input_unchanged"]

def blur_kernel(k: int = 3) -> torch.Tensor:
    """The (k, k) box blur: every entry 1 / k**2."""
    if k < 1:
        raise ValueError(f"the kernel size must be at least 1, got {k}")
    return torch.full((k, k), 1.0 / (k * k), dtype=torch.float32)


def edge_kernel() -> torch.Tensor:
    """The 3 x 3 centre-surround edge detector: 8 in the centre, -1 around it."""
    K = -torch.ones((3, 3), dtype=torch.float32)
    K[1, 1] = 8.0
    return K


def horizontal_edge_kernel() -> torch.Tensor:
    """The 3 x 3 horizontal-edge detector: a row of -1, a row of 0, a row of 1."""
    return torch.tensor([[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])


def difference_kernel(order: int) -> torch.Tensor:
    """The (1, order + 1) kernel of the discrete derivative of that order: (-1)**j * C(order, j)."""
    if order < 0:
        raise ValueError(f"the order must not be negative, got {order}")
    coeffs = [(-1) ** j * math.comb(order, j) for j in range(order + 1)]
    return torch.tensor([coeffs], dtype=torch.float32)


def corr2d_as_matmul(in_shape: tuple[int, int], K: torch.Tensor) -> torch.Tensor:
    """The (h' * w', h * w) matrix W with W @ X.flatten() == corr2d(X, K).flatten() for X of shape in_shape."""
    h, w = in_shape
    kh, kw = K.shape
    if kh > h or kw > w:
        raise ValueError(f"a {kh}x{kw} kernel does not fit in a {h}x{w} input")
    out_h, out_w = h - kh + 1, w - kw + 1
    W = torch.zeros((out_h * out_w, h * w), dtype=K.dtype, device=K.device)
    rows = torch.arange(out_h * out_w, device=K.device)
    i, j = rows // out_w, rows % out_w
    for a in range(kh):
        for b in range(kw):
            W[rows, (i + a) * w + (j + b)] = K[a, b]
    return W


def convolve2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Valid 2-D convolution: the cross-correlation of X with K flipped on both axes."""
    h, w = X.shape
    kh, kw = K.shape
    if kh > h or kw > w:
        raise ValueError(f"a {kh}x{kw} kernel does not fit in a {h}x{w} input")
    flipped = K.flip(0, 1)
    out_h, out_w = h - kh + 1, w - kw + 1
    Y = torch.zeros((out_h, out_w), device=X.device)
    for a in range(kh):
        for b in range(kw):
            Y = Y + flipped[a, b] * X[a:a + out_h, b:b + out_w]
    return Y
