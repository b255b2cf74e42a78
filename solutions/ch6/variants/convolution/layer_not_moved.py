"""learn_kernel builds its Conv2D on the CPU whatever X's device (caught on the meta device, so on a CPU too)."""

import torch
from torch import nn


def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    h, w = X.shape
    kh, kw = K.shape
    if kh > h or kw > w:
        raise ValueError("kernel larger than input")
    out_h, out_w = h - kh + 1, w - kw + 1
    shifted = torch.stack([X[a:a + out_h, b:b + out_w] for a in range(kh) for b in range(kw)])
    return torch.einsum("kij,k->ij", shifted, K.reshape(-1))


class Conv2D(nn.Module):
    def __init__(self, kernel_size: tuple[int, int]) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return corr2d(x, self.weight) + self.bias


def learn_kernel(X: torch.Tensor, Y: torch.Tensor, kernel_size: tuple[int, int],
                 num_iters: int = 10, lr: float = 3e-2) -> tuple[torch.Tensor, list[float]]:
    layer = Conv2D(kernel_size)          # never moved to X's device
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
