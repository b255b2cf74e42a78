# source: github.com/Undernoone/Deep_Learning_Practice__Li-Mu 5.Multilayer Perceptron.py lines 1-40 (rewritten for ch4.mlp_scratch)
# exercise: ch4.mlp_scratch
import torch
from torch import nn


def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)


class MLPScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, num_outputs, sigma=0.01):
        super().__init__()
        self.num_inputs = num_inputs
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.b1 = nn.Parameter(torch.zeros(num_hiddens))
        self.W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs) * sigma)
        self.b2 = nn.Parameter(torch.zeros(num_outputs))

    def forward(self, X):
        X = X.reshape((-1, self.num_inputs))
        H = relu(X @ self.W1 + self.b1)   # '@' is matrix multiplication
        return H @ self.W2 + self.b2


def collapse_linear(W1, b1, W2, b2):
    # two affine maps without a nonlinearity are one: x W1 W2 + (b1 W2 + b2)
    return W1 @ W2, b1 @ W2 + b2
