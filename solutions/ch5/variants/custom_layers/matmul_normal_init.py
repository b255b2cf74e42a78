"""Correct: weight drawn with nn.init.normal_(std=1/sqrt(in_units)), bias registered via register_parameter; torch.matmul; flatten with a loop over sizes."""

import math

import torch
from torch import nn

VERDICT = "correct"


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        w = torch.empty(in_units, units)
        nn.init.normal_(w, mean=0.0, std=1.0 / math.sqrt(in_units))
        self.weight = nn.Parameter(w)
        self.register_parameter("bias", nn.Parameter(torch.zeros(units)))

    def forward(self, X):
        return torch.matmul(X, self.weight).add(self.bias)


class MyFlatten(nn.Module):
    def __init__(self, start_dim=1):
        super().__init__()
        self.start_dim = start_dim

    def forward(self, X):
        dims = list(X.shape)
        start = self.start_dim if self.start_dim >= 0 else len(dims) + self.start_dim
        merged = 1
        for n in dims[start:]:
            merged = merged * n
        return torch.reshape(X, dims[:start] + [merged])
