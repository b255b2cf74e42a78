# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Batch normalization from scratch
#
# Deep networks are hard to train partly because every layer keeps receiving inputs whose scale
# drifts while the layers below it learn. Batch normalization (Ioffe and Szegedy, 2015) puts a
# stop to that drift in a simple way: inside every minibatch, it measures the mean and the
# variance of each feature and rescales the feature to mean 0 and variance 1. Two learned
# numbers per feature, a scale $\gamma$ and a shift $\beta$, then give the layer back the
# freedom to choose whatever scale suits it. Nearly every large convolutional network uses it.
#
# ## The formula
#
# Take a minibatch $\mathcal{B}$ of $n$ values of one feature, $x_1, \dots, x_n$. Batch
# normalization computes
#
# $$
# \hat\mu = \frac{1}{n} \sum_i x_i, \qquad
# \hat\sigma^2 = \frac{1}{n} \sum_i (x_i - \hat\mu)^2, \qquad
# y_i = \gamma \, \frac{x_i - \hat\mu}{\sqrt{\hat\sigma^2 + \epsilon}} + \beta .
# $$
#
# The small $\epsilon$ (PyTorch uses $10^{-5}$) sits *inside* the square root and keeps the
# division finite when a feature happens to be constant in the batch. Note the $1/n$ in the
# variance: the batch is normalised with its own, *biased* variance.
#
# Which values form "one feature" depends on the layer. After a fully connected layer the input
# has shape $(N, C)$ and each of the $C$ columns is a feature: the statistics run over the $N$
# examples. After a convolution the input has shape $(N, C, H, W)$ and each *channel* is a
# feature: the same kernel produced every pixel of the channel, so the statistics run over the
# $N \cdot H \cdot W$ values of that channel, and $\gamma$ and $\beta$ still hold $C$ numbers.
#
# ## Training and prediction
#
# At prediction time there may be a single example, and its answer should not depend on which
# other examples happen to share its batch. So the layer keeps **running statistics**, estimates
# of the mean and the variance over the whole data set, updated after every training batch:
#
# $$
# \text{running} \leftarrow (1 - m) \cdot \text{running} + m \cdot \text{batch statistic}.
# $$
#
# In PyTorch the *momentum* $m$ is the weight of the **new** batch, 0.1 by default. Keras and
# some older texts use the opposite convention, where momentum is the weight of the *old* value
# (0.9, say). Writing `nn.BatchNorm2d(64, momentum=0.9)` in PyTorch because a Keras recipe said
# 0.9 makes the running estimates follow the last batch almost entirely: read the documentation
# of the library you are in.
#
# The running variance is updated with the *unbiased* batch variance,
# $\frac{n}{n - 1} \hat\sigma^2$, because it estimates the variance of the whole population;
# the running statistics start at mean 0 and variance 1. They are not learned by gradient
# descent, so their update happens outside autograd, and in a module they are stored as
# **buffers** (`register_buffer`): they move with `.to(device)` and appear in the
# `state_dict`, but the optimizer never sees them. In evaluation mode (`.eval()`) the layer
# normalises with the running statistics instead of the batch's and changes nothing.
#
# ## A worked example
#
# Take the batch of three examples with two features
#
# ```
# X = [[1,  2],
#      [3,  6],
#      [5, 10]]
# ```
#
# The column means are 3 and 6, the biased variances $8/3$ and $32/3$. Both columns become
# $[-1.2247, 0, 1.2247]$ (with $\gamma = 1$, $\beta = 0$). The unbiased variances are 4 and 16,
# so starting from running mean $(0, 0)$ and running variance $(1, 1)$ one training step with
# $m = 0.1$ gives the running mean $(0.3, 0.6)$ and the running variance
# $(0.9 + 0.4, 0.9 + 1.6) = (1.3, 2.5)$. With the Keras reading, $m = 0.9$ as the weight of the
# old value, one would get $(0.3, 0.6)$ too, but a PyTorch call with `momentum=0.9` gives
# $(2.7, 5.4)$ and $(3.7, 14.5)$.
#
# The pitfalls: normalising with the unbiased variance (or updating the running variance with the
# biased one), putting $\epsilon$ outside the square root, averaging a 4-D input over the batch
# only (one statistic per pixel instead of per channel), and forgetting that evaluation mode
# must use the running statistics.
#
# ## What to write
#
# 1. `batch_norm(X, gamma, beta, running_mean, running_var, eps=1e-5, momentum=0.1,
#    training=True)` returns `(Y, new_running_mean, new_running_var)`. `X` has shape `(N, C)` or
#    `(N, C, H, W)`; `gamma`, `beta`, `running_mean` and `running_var` are 1-D tensors of
#    length `C`. In training mode it normalises with the batch statistics and returns the
#    updated running statistics (computed without autograd); in evaluation mode it normalises
#    with the running statistics and returns them unchanged. It never modifies its arguments in
#    place: the new running statistics are new tensors. `Y` keeps `X`'s shape, dtype and device
#    and is differentiable with respect to `X`, `gamma` and `beta`. Raise `ValueError` for an
#    input that is not 2-D or 4-D, and in training mode when a feature has a single value in
#    the batch (its unbiased variance would divide by zero). The built-in batch normalization
#    functions are not allowed.
# 2. `BatchNorm(num_features, num_dims)`, an `nn.Module` for `num_dims` = 2 (inputs `(N, C)`,
#    like `nn.BatchNorm1d`) or 4 (inputs `(N, C, H, W)`, like `nn.BatchNorm2d`; `ValueError`
#    otherwise). It holds two parameters of length `num_features`, the scale (ones) and the
#    shift (zeros), declared in that order, and two buffers, the running mean (zeros) and the
#    running variance (ones), in that order; we call them `gamma`, `beta`, `running_mean` and
#    `running_var`, but the names are yours. Use `eps = 1e-5` and `momentum = 0.1`. Its
#    `forward` calls your `batch_norm` with `self.training` and keeps the new running
#    statistics. It must match `nn.BatchNorm1d` / `nn.BatchNorm2d` in both modes.

# %%
import torch
from torch import nn


# %%
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
    ### BEGIN SOLUTION
    # HINT: pick the dimensions to average over (0, or 0, 2, 3), reshape the per-feature vectors so they broadcast, then follow the formulas
    if X.dim() == 2:
        dims, shape = (0,), (1, -1)
    elif X.dim() == 4:
        dims, shape = (0, 2, 3), (1, -1, 1, 1)
    else:
        raise ValueError(f"batch_norm expects a 2-D or 4-D input, got {X.dim()}-D")
    if training:
        n = X.numel() // X.shape[1]   # values per feature
        if n < 2:
            raise ValueError("batch_norm in training mode needs more than one value per feature")
        mean = X.mean(dim=dims)
        var = ((X - mean.reshape(shape)) ** 2).mean(dim=dims)
        with torch.no_grad():
            new_mean = (1 - momentum) * running_mean + momentum * mean
            new_var = (1 - momentum) * running_var + momentum * var * (n / (n - 1))
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = running_mean, running_var
    X_hat = (X - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + eps)
    Y = gamma.reshape(shape) * X_hat + beta.reshape(shape)
    return Y, new_mean, new_var
    ### END SOLUTION


# %%
class BatchNorm(nn.Module):
    """Batch normalization layer for (N, C) inputs (num_dims=2) or (N, C, H, W) inputs (num_dims=4)."""

    def __init__(self, num_features: int, num_dims: int) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        # HINT: check num_dims; gamma and beta are nn.Parameters, the running statistics go through self.register_buffer
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
        ### END SOLUTION

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        # HINT: call batch_norm with self.training, then store the two new running statistics in the buffers
        Y, self.running_mean, self.running_var = batch_norm(
            X, self.gamma, self.beta, self.running_mean, self.running_var,
            eps=self.eps, momentum=self.momentum, training=self.training)
        return Y
        ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The cell below runs the worked example, then compares `BatchNorm` with `nn.BatchNorm2d` on a
# random batch in both modes.

# %%
if __name__ == "__main__":
    X = torch.tensor([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]])
    Y, mean, var = batch_norm(X, torch.ones(2), torch.zeros(2), torch.zeros(2), torch.ones(2))
    print(Y)
    print("running mean", mean, "running var", var)

    ours, theirs = BatchNorm(3, num_dims=4), nn.BatchNorm2d(3)
    images = torch.randn(8, 3, 5, 5) * 4 + 2
    for _ in range(3):
        print("training, max difference:", float((ours(images) - theirs(images)).abs().max()))
    ours.eval()
    theirs.eval()
    print("evaluation, max difference:", float((ours(images) - theirs(images)).abs().max()))
