"""Correct: relu by a boolean mask on a copy, torch.normal for the weights, W2 created first, addmm layers, einsum collapse."""

import torch
from torch import nn

VERDICT = "correct"


def relu(X):
    out = X.clone()
    out[out < 0] = 0
    return out


class MLPScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, num_outputs, sigma=0.01):
        super().__init__()
        self.num_inputs = num_inputs
        self.W2 = nn.Parameter(torch.normal(0.0, sigma, size=(num_hiddens, num_outputs)))
        self.b2 = nn.Parameter(torch.zeros(num_outputs))
        self.W1 = nn.Parameter(torch.normal(0.0, sigma, size=(num_inputs, num_hiddens)))
        self.b1 = nn.Parameter(torch.zeros(num_hiddens))

    def forward(self, X):
        X = X.reshape(-1, self.W1.shape[0])
        H = relu(torch.addmm(self.b1, X, self.W1))
        return torch.addmm(self.b2, H, self.W2)


def collapse_linear(W1, b1, W2, b2):
    W = torch.einsum('dh,hq->dq', W1, W2)
    return W, torch.einsum('h,hq->q', b1, W2) + b2
