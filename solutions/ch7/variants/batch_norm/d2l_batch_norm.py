"""Wrong (real code): d2l's batch_norm and BatchNorm: Keras's momentum convention (0.9 weighs the
old running value), the biased batch variance in the running variance, an assert for other ranks,
and the running statistics as plain tensor attributes of shape (1, C[, 1, 1]), not buffers.

Source: d2l-ai/d2l-zh, chapter_convolutional-modern/batch-norm.md (commit 39bc288), `batch_norm`
and `BatchNorm` (PyTorch tab). Adapted to the contract: the mode is the `training` argument, not
torch.is_grad_enabled(); gamma, beta and the running statistics come in as length-C vectors and
are reshaped to d2l's broadcasting shape, the results flattened back; BatchNorm calls it with
eps=1e-5 and d2l's momentum=0.9 and keeps d2l's attributes.
"""

import torch
from torch import nn

VERDICT = "wrong"


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps=1e-5, momentum=0.1, training=True):
    shape = (1, -1) if X.dim() == 2 else (1, -1, 1, 1)
    gamma, beta = gamma.reshape(shape), beta.reshape(shape)
    moving_mean, moving_var = moving_mean.reshape(shape), moving_var.reshape(shape)
    if not training:
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
        moving_var = momentum * moving_var + (1.0 - momentum) * var
    Y = gamma * X_hat + beta  # Scale and shift
    return Y, moving_mean.data.reshape(-1), moving_var.data.reshape(-1)


class BatchNorm(nn.Module):
    # num_features: the number of outputs for a fully connected layer or the number of output
    # channels for a convolutional layer. num_dims: 2 for a fully connected layer, 4 for a conv
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims == 2:
            shape = (1, num_features)
        else:
            shape = (1, num_features, 1, 1)
        # The scale parameter and the shift parameter (model parameters) are initialized to 1 and 0
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        # The variables that are not model parameters are initialized to 0 and 1
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        # If X is not on the main memory, copy moving_mean and moving_var to the device where X is located
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        # Save the updated moving_mean and moving_var
        Y, moving_mean, moving_var = batch_norm(
            X, self.gamma.reshape(-1), self.beta.reshape(-1), self.moving_mean.reshape(-1),
            self.moving_var.reshape(-1), eps=1e-5, momentum=0.9, training=self.training)
        self.moving_mean = moving_mean.reshape(self.moving_mean.shape)
        self.moving_var = moving_var.reshape(self.moving_var.shape)
        return Y
