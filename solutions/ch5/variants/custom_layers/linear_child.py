"""Wrong: wraps an nn.Linear child instead of owning the parameters (forbidden, wrong shapes)."""

import math

import torch
from torch import nn

VERDICT = "wrong"


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.inner = nn.Linear(in_units, units)

    def forward(self, X):
        return self.inner(X)


class MyFlatten(nn.Module):
    def __init__(self, start_dim=1):
        super().__init__()
        self.start_dim = start_dim

    def forward(self, X):
        start = self.start_dim + X.dim() if self.start_dim < 0 else self.start_dim
        return X.reshape(*X.shape[:start], math.prod(X.shape[start:]))
