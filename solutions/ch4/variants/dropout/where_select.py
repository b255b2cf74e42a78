"""Correct: torch.where picks x / (1 - p) or 0 from uniform draws; layers via nn.Flatten and F.relu."""

import torch
import torch.nn.functional as F
from torch import nn

VERDICT = "correct"


def dropout_layer(X, dropout_prob):
    p = float(dropout_prob)
    if not (0.0 <= p <= 1.0):
        raise ValueError(f"p={p} is not a probability")
    if p == 1.0:
        return X * 0
    u = torch.rand_like(X)
    return torch.where(u >= p, X / (1 - p), torch.zeros_like(X))


class DropoutMLP(nn.Module):
    def __init__(self, num_inputs, num_outputs, num_hiddens1, num_hiddens2, dropout1, dropout2):
        super().__init__()
        self.num_inputs = num_inputs
        self.dropout1 = dropout1
        self.dropout2 = dropout2
        self.lin1 = nn.Linear(num_inputs, num_hiddens1)
        self.lin2 = nn.Linear(num_hiddens1, num_hiddens2)
        self.lin3 = nn.Linear(num_hiddens2, num_outputs)

    def forward(self, X):
        H = F.relu(self.lin1(torch.flatten(X, start_dim=1)))
        H = dropout_layer(H, self.dropout1) if self.training else H
        H = F.relu(self.lin2(H))
        H = dropout_layer(H, self.dropout2) if self.training else H
        return self.lin3(H)
