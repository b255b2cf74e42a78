"""Correct: parameters named W and b, forward with torch.einsum, flatten via contiguous().view."""

import math

import torch
from torch import nn

VERDICT = "correct"


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.W = nn.Parameter(torch.randn(in_units, units) / math.sqrt(in_units))
        self.b = nn.Parameter(torch.zeros(units))

    def forward(self, X):
        return torch.einsum("...i,io->...o", X, self.W) + self.b


class MyFlatten(nn.Module):
    def __init__(self, start_dim=1):
        super().__init__()
        self.start_dim = start_dim

    def forward(self, X):
        start = self.start_dim % X.dim()
        size = 1
        for n in X.shape[start:]:
            size *= n
        return X.contiguous().view(tuple(X.shape[:start]) + (size,))
