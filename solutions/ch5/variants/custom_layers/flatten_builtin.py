"""Wrong: MyFlatten calls torch.flatten (forbidden)."""

import math

import torch
from torch import nn

VERDICT = "wrong"


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units) / math.sqrt(in_units))
        self.bias = nn.Parameter(torch.zeros(units))

    def forward(self, X):
        return X @ self.weight + self.bias


class MyFlatten(nn.Module):
    def __init__(self, start_dim=1):
        super().__init__()
        self.start_dim = start_dim

    def forward(self, X):
        return torch.flatten(X, self.start_dim)
