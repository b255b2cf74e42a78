# source: github.com/KarlABCD/pytorch chapt4_2.py lines 1-17 (rewritten for ch4.dropout)
# exercise: ch4.dropout
# -*- coding: utf-8 -*-
""" Dropout from scratch. """

import torch
import torch.nn as nn


def dropout_layer(X: torch.Tensor, dropout_prob: float) -> torch.Tensor:
    """ The dropout layer.

    :param X: input feature
    :param dropout_prob: the dropout ratio
    """
    if not 0 <= dropout_prob <= 1:
        raise ValueError("dropout must be in [0, 1]")
    if dropout_prob == 1:
        return torch.zeros_like(X)
    elif dropout_prob == 0:
        return X
    else:
        keep = torch.rand_like(X) > dropout_prob   # a mask rather than indexing: faster
        return keep * X / (1.0 - dropout_prob)


class DropoutMLP(nn.Module):
    def __init__(self, num_inputs, num_outputs, num_hiddens1, num_hiddens2, dropout1, dropout2,
                 is_training=True):
        super().__init__()
        self.num_inputs = num_inputs
        self.p1, self.p2 = dropout1, dropout2
        self.hidden1 = nn.Linear(num_inputs, num_hiddens1)
        self.hidden2 = nn.Linear(num_hiddens1, num_hiddens2)
        self.out = nn.Linear(num_hiddens2, num_outputs)

    def forward(self, X):
        h = torch.relu(self.hidden1(X.reshape(-1, self.num_inputs)))
        h = dropout_layer(h, self.p1) if self.training else h
        h = torch.relu(self.hidden2(h))
        h = dropout_layer(h, self.p2) if self.training else h
        return self.out(h)
