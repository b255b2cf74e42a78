"""Wrong: a negative start_dim is turned positive as dim + start_dim + 1."""

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
        start = self.start_dim + X.dim() + 1 if self.start_dim < 0 else self.start_dim
        return X.reshape(*X.shape[:start], math.prod(X.shape[start:]))
