"""Wrong: the training-mode statistics come from torch.native_layer_norm on the transposed input (one row per feature): a built-in normalisation standing in for the one to write by hand."""

import torch
from torch import nn

VERDICT = "wrong"


def batch_norm(X: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor,
               running_mean: torch.Tensor, running_var: torch.Tensor, eps: float = 1e-5,
               momentum: float = 0.1, training: bool = True
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Batch normalization of X (N, C) or (N, C, H, W) with per-feature gamma, beta (length C).

    Returns (Y, new_running_mean, new_running_var). Training mode normalises with the batch's
    biased variance and updates running = (1 - momentum) * running + momentum * batch (unbiased
    variance); evaluation mode normalises with the running statistics and returns them as they
    are. The arguments are never modified. Raises ValueError for other ranks and for a single
    value per feature in training mode.
    """
    if X.dim() == 2:
        dims, shape = (0,), (1, -1)
    elif X.dim() == 4:
        dims, shape = (0, 2, 3), (1, -1, 1, 1)
    else:
        raise ValueError(f"batch_norm expects a 2-D or 4-D input, got {X.dim()}-D")
    if training:
        n = X.numel() // X.shape[1] if X.shape[1] else 0
        if n < 2:
            raise ValueError("batch_norm in training mode needs more than one value per feature")
        rows = X.transpose(0, 1).reshape(X.shape[1], -1)   # one row per feature: layer norm over it
        _, row_mean, rstd = torch.native_layer_norm(rows, (rows.shape[1],), None, None, eps)
        mean = row_mean.reshape(-1)
        var = rstd.reshape(-1) ** -2 - eps
        with torch.no_grad():
            new_mean = (1 - momentum) * running_mean + momentum * mean
            new_var = (1 - momentum) * running_var + momentum * var * (n / (n - 1))
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = running_mean, running_var
    X_hat = (X - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + eps)
    Y = gamma.reshape(shape) * X_hat + beta.reshape(shape)
    return Y, new_mean, new_var


class BatchNorm(nn.Module):
    """Batch normalization layer for (N, C) inputs (num_dims=2) or (N, C, H, W) inputs (num_dims=4)."""

    def __init__(self, num_features: int, num_dims: int) -> None:
        super().__init__()
        if num_dims not in (2, 4):
            raise ValueError(f"num_dims must be 2 or 4, got {num_dims}")
        self.num_features = num_features
        self.num_dims = num_dims
        self.eps = 1e-5
        self.momentum = 0.1
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Y, self.running_mean, self.running_var = batch_norm(
            X, self.gamma, self.beta, self.running_mean, self.running_var,
            eps=self.eps, momentum=self.momentum, training=self.training)
        return Y
