"""Wrong: dropout_layer(X, 0) returns X itself, not a new tensor (an alias of the caller's input)."""

import torch
from torch import nn

VERDICT = "wrong"


def dropout_layer(X, dropout_prob):
    if not 0.0 <= dropout_prob <= 1.0:
        raise ValueError(f"dropout_prob must be between 0 and 1, got {dropout_prob}")
    if dropout_prob == 1.0:
        return torch.zeros_like(X)
    if dropout_prob == 0.0:
        return X
    keep = torch.rand(X.shape, device=X.device) > dropout_prob
    return X * keep.to(X.dtype) / (1.0 - dropout_prob)


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
        H1 = torch.relu(self.lin1(X.reshape(-1, self.num_inputs)))
        if self.training:
            H1 = dropout_layer(H1, self.dropout1)
        H2 = torch.relu(self.lin2(H1))
        if self.training:
            H2 = dropout_layer(H2, self.dropout2)
        return self.lin3(H2)
