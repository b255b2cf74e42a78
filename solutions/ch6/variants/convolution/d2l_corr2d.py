"""Wrong (real code): d2l's corr2d and Conv2D with the book's edge-learning loop: right values for
float32 CPU inputs, but no ValueError for a kernel that does not fit, float32 zeros whatever X's
dtype and a CPU result whatever X's device.

Source: d2l-ai/d2l-en, d2l/torch.py (commit 017f064), `corr2d` (Defined in file:
./chapter_convolutional-neural-networks/conv-layer.md; d2l.zeros / d2l.reduce_sum are torch.zeros /
.sum() there), and that section's `Conv2D` and training loop. Adapted to the contract: the loop
(written for nn.Conv2d on 4-D tensors with `.data[:] -=`) uses the section's own Conv2D on 2-D
tensors, updates only the weight, and returns the learned kernel and the losses.
"""

import torch
from torch import nn

VERDICT = "wrong"


def corr2d(X, K):
    """Compute 2D cross-correlation."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i: i + h, j: j + w] * K).sum()
    return Y


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size, num_iters=10, lr=3e-2):
    conv2d = Conv2D(kernel_size).to(X.device)
    losses = []
    for i in range(num_iters):
        Y_hat = conv2d(X)
        l = (Y_hat - Y) ** 2
        conv2d.zero_grad()
        l.sum().backward()
        # Update the kernel
        conv2d.weight.data[:] -= lr * conv2d.weight.grad
        losses.append(float(l.sum()))
    return conv2d.weight.detach(), losses
