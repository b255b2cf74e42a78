"""Wrong: the weights are scaled by sigma ** 2 (the variance) instead of sigma."""

import torch
from torch import nn

VERDICT = "wrong"


def relu(X):
    return torch.maximum(X, torch.zeros_like(X))


class MLPScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, num_outputs, sigma=0.01):
        super().__init__()
        self.num_inputs = num_inputs
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma ** 2)
        self.b1 = nn.Parameter(torch.zeros(num_hiddens))
        self.W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs) * sigma ** 2)
        self.b2 = nn.Parameter(torch.zeros(num_outputs))

    def forward(self, X):
        X = X.reshape(-1, self.num_inputs)
        H = relu(X @ self.W1 + self.b1)
        return H @ self.W2 + self.b2


def collapse_linear(W1, b1, W2, b2):
    return W1 @ W2, b1 @ W2 + b2
