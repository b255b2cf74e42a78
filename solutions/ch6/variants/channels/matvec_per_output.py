"""Wrong: corr2d_1x1 loops over the output channels, one matrix-vector product each (right values, but not one matrix multiplication)."""

import torch

VERDICT = "wrong"
LOSES_ONLY = ["test_1x1_is_one_matmul"]

def corr2d_multi_in(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Sum over input channels of valid cross-correlations: X (ci, h, w), K (ci, kh, kw) -> (h', w')."""
    ci, h, w = X.shape
    kc, kh, kw = K.shape
    if kc != ci:
        raise ValueError(f"the kernel has {kc} channels but the input has {ci}")
    if kh > h or kw > w:
        raise ValueError(f"a {kh}x{kw} kernel does not fit in a {h}x{w} input")
    out_h, out_w = h - kh + 1, w - kw + 1
    Y = torch.zeros((out_h, out_w), dtype=X.dtype, device=X.device)
    for a in range(kh):
        for b in range(kw):
            # (ci, 1, 1) weights times (ci, out_h, out_w) slices, summed over the channels.
            Y = Y + (K[:, a, b].reshape(ci, 1, 1) * X[:, a:a + out_h, b:b + out_w]).sum(dim=0)
    return Y


def corr2d_multi_in_out(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """One multi-input cross-correlation per output channel: X (ci, h, w), K (co, ci, kh, kw) -> (co, h', w')."""
    if K.shape[1] != X.shape[0]:
        raise ValueError(f"the kernels have {K.shape[1]} input channels but the input has {X.shape[0]}")
    return torch.stack([corr2d_multi_in(X, k) for k in K], dim=0)


def corr2d_1x1(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution as one matrix product: X (ci, h, w), K (co, ci, 1, 1) -> (co, h, w)."""
    ci, h, w = X.shape
    co, kc, kh, kw = K.shape
    if kc != ci:
        raise ValueError(f"the kernels have {kc} input channels but the input has {ci}")
    if (kh, kw) != (1, 1):
        raise ValueError(f"corr2d_1x1 needs 1x1 kernels, got {kh}x{kw}")
    pixels = X.reshape(ci, h * w)
    rows = [pixels.T @ K[o].reshape(ci) for o in range(co)]
    return torch.stack(rows).reshape(co, h, w)
