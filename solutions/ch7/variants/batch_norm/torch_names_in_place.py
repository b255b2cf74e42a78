"""Correct: nn.BatchNorm's names (weight, bias, running_mean, running_var, num_batches_tracked); the module copies the new statistics into its buffers in place."""

import torch
from torch import nn

VERDICT = "correct"


def batch_norm(X, gamma, beta, running_mean, running_var, eps=1e-5, momentum=0.1, training=True):
    if X.dim() == 2:
        dims = [0]
    elif X.dim() == 4:
        dims = [0, 2, 3]
    else:
        raise ValueError("only (N, C) and (N, C, H, W) inputs")
    shape = [1] * X.dim()
    shape[1] = X.shape[1]
    if not training:
        Y = (X - running_mean.view(shape)) * torch.rsqrt(running_var.view(shape) + eps)
        return gamma.view(shape) * Y + beta.view(shape), running_mean, running_var
    n = 1
    for d in dims:
        n *= X.shape[d]
    if n == 1:
        raise ValueError("Expected more than 1 value per channel when training")
    mean = X.mean(dim=dims, keepdim=True)
    var = X.var(dim=dims, unbiased=False, keepdim=True)
    with torch.no_grad():
        new_mean = running_mean + momentum * (mean.flatten() - running_mean)
        new_var = running_var + momentum * (var.flatten() * n / (n - 1) - running_var)
    Y = (X - mean) * torch.rsqrt(var + eps)
    return gamma.view(shape) * Y + beta.view(shape), new_mean, new_var


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims not in (2, 4):
            raise ValueError(f"num_dims must be 2 or 4, not {num_dims}")
        self.num_features = num_features
        self.eps = 1e-5
        self.momentum = 0.1
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, X):
        Y, mean, var = batch_norm(X, self.weight, self.bias, self.running_mean, self.running_var,
                                  eps=self.eps, momentum=self.momentum, training=self.training)
        if self.training:
            with torch.no_grad():
                self.running_mean.copy_(mean)
                self.running_var.copy_(var)
                self.num_batches_tracked += 1
        return Y
