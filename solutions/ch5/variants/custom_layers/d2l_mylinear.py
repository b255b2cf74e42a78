"""Wrong (real code): d2l's MyLinear: a ReLU after the affine map, the product taken on
weight.data and bias.data (so no gradient reaches the parameters), a standard-normal bias and an
unscaled standard-normal weight.

Source: d2l-ai/d2l-zh, chapter_deep-learning-computation/custom-layer.md (commit 969cca3), the
PyTorch tab's `MyLinear`. Adapted to the contract: the module also needs MyFlatten, which d2l does
not have; it is the course's reference MyFlatten, unchanged.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

VERDICT = "wrong"


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units,))
    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)


class MyFlatten(nn.Module):
    """Merge the dimensions from `start_dim` on into one; works on non-contiguous tensors."""

    def __init__(self, start_dim: int = 1) -> None:
        super().__init__()
        self.start_dim = start_dim

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        start = self.start_dim + X.dim() if self.start_dim < 0 else self.start_dim
        kept = tuple(X.shape[:start])
        merged = math.prod(X.shape[start:])
        return X.reshape(*kept, merged)
