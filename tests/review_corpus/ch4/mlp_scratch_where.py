# source: github.com/nhjclxc/ai 5_deep_learning/d2l_local/test10_multilayer-perceptrons/test2.py lines 1-30 (rewritten for ch4.mlp_scratch)
# exercise: ch4.mlp_scratch
#!/usr/bin/python
# -*- coding: utf-8 -*-
import torch
from torch import nn


def relu(X):
    return torch.where(X > 0, X, torch.zeros_like(X))


class MLPScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, num_outputs, sigma=0.01):
        super(MLPScratch, self).__init__()
        self.num_inputs = num_inputs
        self.params = nn.ParameterList([
            nn.Parameter(sigma * torch.randn(num_inputs, num_hiddens)),
            nn.Parameter(torch.zeros(num_hiddens)),
            nn.Parameter(sigma * torch.randn(num_hiddens, num_outputs)),
            nn.Parameter(torch.zeros(num_outputs)),
        ])

    def forward(self, X):
        W1, b1, W2, b2 = self.params
        H = relu(torch.matmul(X.reshape(-1, self.num_inputs), W1) + b1)
        return torch.matmul(H, W2) + b2


def collapse_linear(W1, b1, W2, b2):
    return torch.matmul(W1, W2), torch.matmul(b1, W2) + b2
