"""Wrong: Keras's momentum convention (S1's 0.9): momentum weighs the old running value, not the new batch."""

import torch
from torch import nn

VERDICT = "wrong"


def batch_norm(X, gamma, beta, running_mean, running_var, eps=1e-5, momentum=0.1, training=True):
    if X.dim() == 2:
        dims, shape = (0,), (1, -1)
    elif X.dim() == 4:
        dims, shape = (0, 2, 3), (1, -1, 1, 1)
    else:
        raise ValueError("expected a 2-D or 4-D input")
    if training:
        n = X.numel() // X.shape[1]
        if n < 2:
            raise ValueError("need more than one value per feature")
        mean = X.mean(dim=dims)
        var = ((X - mean.reshape(shape)) ** 2).mean(dim=dims)
        with torch.no_grad():
            new_mean = momentum * running_mean + (1 - momentum) * mean
            new_var = momentum * running_var + (1 - momentum) * var * (n / (n - 1))
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = running_mean, running_var
    X_hat = (X - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + eps)
    return gamma.reshape(shape) * X_hat + beta.reshape(shape), new_mean, new_var


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims not in (2, 4):
            raise ValueError("num_dims must be 2 or 4")
        self.eps = 1e-5
        self.momentum = 0.9
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, X):
        Y, self.running_mean, self.running_var = batch_norm(
            X, self.gamma, self.beta, self.running_mean, self.running_var,
            eps=self.eps, momentum=self.momentum, training=self.training)
        return Y
