"""Wrong (real code): d2l's pool2d: 2-D inputs only, every window position (stride 1, not the
pool size), no padding, float32 CPU zeros whatever X's dtype and device, no ValueError.

Source: d2l-ai/d2l-en, chapter_convolutional-neural-networks/pooling.md (commit 155d0e1), the
PyTorch tab's `pool2d`. Adapted to the contract: the signature takes stride and padding (and ignores them, as
d2l's function has none), an int pool size becomes a pair; global_avg_pool, which d2l writes with
nn.AdaptiveAvgPool2d (banned here), is the course's reference one.
"""

import torch

VERDICT = "wrong"


def pool2d(X, pool_size, mode="max", stride=None, padding=0):
    p_h, p_w = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y


def global_avg_pool(X):
    return X.mean(dim=(-2, -1))
