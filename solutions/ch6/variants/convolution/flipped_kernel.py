"""True convolution: the kernel is flipped in both directions before sliding."""

import torch
from torch import nn


def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    h, w = X.shape
    K = torch.flip(K, dims=(0, 1))
    kh, kw = K.shape
    if kh > h or kw > w:
        raise ValueError(f"kernel of shape {(kh, kw)} does not fit in an input of shape {(h, w)}")
    out_h, out_w = h - kh + 1, w - kw + 1
    Y = torch.zeros((out_h, out_w), dtype=X.dtype, device=X.device)
    for a in range(kh):
        for b in range(kw):
            Y = Y + K[a, b] * X[a:a + out_h, b:b + out_w]
    return Y


class Conv2D(nn.Module):
    def __init__(self, kernel_size: tuple[int, int]) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return corr2d(x, self.weight) + self.bias


def learn_kernel(X: torch.Tensor, Y: torch.Tensor, kernel_size: tuple[int, int],
                 num_iters: int = 10, lr: float = 3e-2) -> tuple[torch.Tensor, list[float]]:
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

VERDICT = "wrong"
