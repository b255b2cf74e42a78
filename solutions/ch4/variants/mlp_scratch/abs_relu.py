"""Correct: relu as (X + |X|) / 2, the layers and the collapse written with torch.matmul."""

import torch
from torch import nn

VERDICT = "correct"


def relu(X):
    return (X + X.abs()) / 2


class MLPScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, num_outputs, sigma=0.01):
        super().__init__()
        self.num_inputs = num_inputs
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.b1 = nn.Parameter(torch.zeros(num_hiddens))
        self.W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs) * sigma)
        self.b2 = nn.Parameter(torch.zeros(num_outputs))

    def forward(self, X):
        H = relu(torch.matmul(X.reshape(-1, self.num_inputs), self.W1) + self.b1)
        return torch.matmul(H, self.W2) + self.b2


def collapse_linear(W1, b1, W2, b2):
    W = torch.matmul(W1, W2)
    return W, torch.matmul(b1, W2) + b2
