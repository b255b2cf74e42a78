"""Wrong: the sum starts from torch.zeros(...) without a dtype, moved to X's device: float64 inputs are promoted back to float64, but float16 ones come out float32."""

import torch
from torch import nn

VERDICT = "wrong"
LOSES_ONLY = ["test_corr2d_keeps_dtype_and_device"]

def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Valid 2-D cross-correlation of X (h, w) with kernel K (kh, kw)."""
    h, w = X.shape
    kh, kw = K.shape
    if kh > h or kw > w:
        raise ValueError(f"kernel of shape {(kh, kw)} does not fit in an input of shape {(h, w)}")
    out_h, out_w = h - kh + 1, w - kw + 1
    # Loop over the few kernel offsets, not the many output pixels: each offset shifts the whole
    # image once, and autograd follows the slices and products back to X and K.
    Y = torch.zeros((out_h, out_w)).to(X.device)
    for a in range(kh):
        for b in range(kw):
            Y = Y + K[a, b] * X[a:a + out_h, b:b + out_w]
    return Y


class Conv2D(nn.Module):
    """A single-channel convolution layer: corr2d with a learned kernel, plus a bias."""

    def __init__(self, kernel_size: tuple[int, int]) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return corr2d(x, self.weight) + self.bias


def learn_kernel(X: torch.Tensor, Y: torch.Tensor, kernel_size: tuple[int, int],
                 num_iters: int = 10, lr: float = 3e-2) -> tuple[torch.Tensor, list[float]]:
    """Learn a kernel mapping X to Y by gradient descent on the summed squared error."""
    layer = Conv2D(kernel_size).to(X.device)
    losses = []
    for _ in range(num_iters):
        loss = ((layer(X) - Y) ** 2).sum()
        layer.zero_grad()
        loss.backward()
        with torch.no_grad():
            layer.weight -= lr * layer.weight.grad
        losses.append(float(loss.detach()))
    return layer.weight.detach().clone(), losses
