# source: github.com/yhwlp0711/DL MLP/dropOut.py lines 1-17 (rewritten for ch4.dropout)
# exercise: ch4.dropout
import torch
from torch import nn


def dropout_layer(X, dropout_prob):
    assert 0 <= dropout_prob <= 1
    if dropout_prob == 1:
        return torch.zeros_like(X)
    if dropout_prob == 0:
        return X
    mask = (torch.rand(X.shape, device=X.device) > dropout_prob).float()
    return mask * X / (1.0 - dropout_prob)


class DropoutMLP(nn.Module):
    def __init__(self, num_inputs, num_outputs, num_hiddens1, num_hiddens2, dropout1, dropout2):
        super(DropoutMLP, self).__init__()
        self.num_inputs = num_inputs
        self.dropout1, self.dropout2 = dropout1, dropout2
        self.lin1 = nn.Linear(num_inputs, num_hiddens1)
        self.lin2 = nn.Linear(num_hiddens1, num_hiddens2)
        self.lin3 = nn.Linear(num_hiddens2, num_outputs)
        self.relu = nn.ReLU()

    def forward(self, X):
        H1 = self.relu(self.lin1(X.reshape((-1, self.num_inputs))))
        if self.training:
            H1 = dropout_layer(H1, self.dropout1)
        H2 = self.relu(self.lin2(H1))
        if self.training:
            H2 = dropout_layer(H2, self.dropout2)
        return self.lin3(H2)


# X = torch.arange(16, dtype=torch.float32).reshape((2, 8))
# print(dropout_layer(X, 0.1))
