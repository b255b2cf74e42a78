# source: github.com/SimonTengnn/ml chapter7/7.5_batch_norm.py lines 1-11 (rewritten for ch7.batch_norm)
# exercise: ch7.batch_norm
import torch
from torch import nn


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum, training=True):
    if not training:
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
        return gamma * X_hat + beta, moving_mean, moving_var
    dims = (0,) if X.dim() == 2 else (0, 2, 3)
    mean = X.mean(dim=dims, keepdim=True)
    var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)
    X_hat = (X - mean) / torch.sqrt(var + eps)
    moving_mean = momentum * moving_mean + (1.0 - momentum) * mean.reshape(moving_mean.shape)
    moving_var = momentum * moving_var + (1.0 - momentum) * var.reshape(moving_var.shape)
    return gamma * X_hat + beta, moving_mean.detach(), moving_var.detach()


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims=4):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.register_buffer("moving_mean", torch.zeros(shape))
        self.register_buffer("moving_var", torch.ones(shape))

    def forward(self, X):
        Y, mean, var = batch_norm(X, self.gamma, self.beta, self.moving_mean, self.moving_var,
                                  eps=1e-5, momentum=0.9, training=self.training)
        if self.training:
            self.moving_mean.copy_(mean)
            self.moving_var.copy_(var)
        return Y
