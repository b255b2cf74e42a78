"""Wrong (real code): d2l's three functions as the book writes them: right values for matching
float32 CPU inputs, but zip() silently drops extra channels instead of raising ValueError, no
check of the kernel size, and corr2d's float32 CPU zeros whatever X's dtype and device.

Source: d2l-ai/d2l-en, chapter_convolutional-neural-networks/channels.md (commit cbde7f2),
`corr2d_multi_in`, `corr2d_multi_in_out`, `corr2d_multi_in_out_1x1`, with `corr2d` from d2l/torch.py
(commit 017f064). Adapted to the contract: d2l.corr2d, d2l.reshape and d2l.matmul written as the
torch calls they are, corr2d_multi_in_out_1x1 named corr2d_1x1.
"""

import torch

VERDICT = "wrong"


def corr2d(X, K):
    """Compute 2D cross-correlation."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i: i + h, j: j + w] * K).sum()
    return Y


def corr2d_multi_in(X, K):
    # Iterate through the 0th dimension (channel) of K first, then add them up
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    # Iterate through the 0th dimension of K, and each time, perform
    # cross-correlation operations with input X. All of the results are
    # stacked together
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    # Matrix multiplication in the fully connected layer
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))
