"""Wrong: the parameters are plain tensors with requires_grad, not nn.Parameters (not registered)."""

import torch
from torch import nn

VERDICT = "wrong"


def relu(X):
    return torch.maximum(X, torch.zeros_like(X))


class MLPScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, num_outputs, sigma=0.01):
        super().__init__()
        self.num_inputs = num_inputs
        self.W1 = (torch.randn(num_inputs, num_hiddens) * sigma).requires_grad_()
        self.b1 = torch.zeros(num_hiddens, requires_grad=True)
        self.W2 = (torch.randn(num_hiddens, num_outputs) * sigma).requires_grad_()
        self.b2 = torch.zeros(num_outputs, requires_grad=True)

    def forward(self, X):
        X = X.reshape(-1, self.num_inputs)
        H = relu(X @ self.W1 + self.b1)
        return H @ self.W2 + self.b2


def collapse_linear(W1, b1, W2, b2):
    return W1 @ W2, b1 @ W2 + b2
