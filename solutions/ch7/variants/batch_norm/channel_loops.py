"""Correct: statistics channel by channel in a Python loop over flattened (C, -1) values, torch.var for both variances."""

import torch
from torch import nn

VERDICT = "correct"


def batch_norm(X, gamma, beta, running_mean, running_var, eps=1e-5, momentum=0.1, training=True):
    if X.ndim not in (2, 4):
        raise ValueError(f"expected a 2-D or 4-D input, got {X.ndim}-D")
    C = X.shape[1]
    # (C, N) or (C, N*H*W): one row of values per feature
    rows = X.transpose(0, 1).reshape(C, -1)
    if training:
        if rows.shape[1] < 2:
            raise ValueError("batch_norm needs at least two values per feature when training")
        means, biased, unbiased = [], [], []
        for c in range(C):
            means.append(rows[c].mean())
            biased.append(rows[c].var(unbiased=False))
            unbiased.append(rows[c].detach().var(unbiased=True))
        mean, var = torch.stack(means), torch.stack(biased)
        new_mean = running_mean * (1 - momentum) + mean.detach() * momentum
        new_var = running_var * (1 - momentum) + torch.stack(unbiased) * momentum
    else:
        mean, var, new_mean, new_var = running_mean, running_var, running_mean, running_var
    scale = gamma / torch.sqrt(var + eps)
    shift = beta - mean * scale
    view = (1, C) if X.ndim == 2 else (1, C, 1, 1)
    return X * scale.view(view) + shift.view(view), new_mean, new_var


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims != 2 and num_dims != 4:
            raise ValueError("BatchNorm supports num_dims 2 and 4")
        self.eps, self.momentum = 1e-5, 0.1
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("moving_mean", torch.zeros(num_features))
        self.register_buffer("moving_var", torch.ones(num_features))

    def forward(self, X):
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var,
            self.eps, self.momentum, self.training)
        return Y
