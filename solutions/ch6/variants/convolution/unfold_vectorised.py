"""Correct: all windows at once with Tensor.unfold, then one weighted sum; learn_kernel via torch.optim.SGD on the weight."""

import torch
from torch import nn


def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    kh, kw = K.shape
    if kh > X.shape[0] or kw > X.shape[1]:
        raise ValueError(f"a {kh}x{kw} kernel does not fit in a {X.shape[0]}x{X.shape[1]} input")
    windows = X.unfold(0, kh, 1).unfold(1, kw, 1)   # (out_h, out_w, kh, kw)
    return (windows * K).sum(dim=(-2, -1))


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
    optimizer = torch.optim.SGD([layer.weight], lr=lr)
    losses = []
    for _ in range(num_iters):
        loss = ((layer(X) - Y) ** 2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return layer.weight.detach().clone(), losses

VERDICT = "correct"
