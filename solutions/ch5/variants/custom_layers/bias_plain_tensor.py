"""Wrong: the bias is a plain tensor attribute, not an nn.Parameter (not learned, not saved, not moved)."""

import math

import torch
from torch import nn

VERDICT = "wrong"
# one slip in how the parameters are stored: only the checks of the storage charge it
LOSES_ONLY = ["test_linear_parameters_of_the_text", "test_linear_parameters"]


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units) / math.sqrt(in_units))
        self.bias = torch.zeros(units)

    def forward(self, X):
        return X @ self.weight + self.bias


class MyFlatten(nn.Module):
    def __init__(self, start_dim=1):
        super().__init__()
        self.start_dim = start_dim

    def forward(self, X):
        start = self.start_dim + X.dim() if self.start_dim < 0 else self.start_dim
        return X.reshape(*X.shape[:start], math.prod(X.shape[start:]))
