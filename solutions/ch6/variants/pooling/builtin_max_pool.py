"""Wrong: calls F.max_pool2d / F.avg_pool2d, which the exercise forbids."""

import torch.nn.functional as F
import torch

VERDICT = "wrong"

def pool2d(X, pool_size, mode="max", stride=None, padding=0):
    if mode not in ("max", "avg"):
        raise ValueError("unknown mode")
    batch = X if X.dim() == 4 else X[None, None]
    if mode == "max":
        Y = F.max_pool2d(batch, pool_size, stride, padding)
    else:
        Y = F.avg_pool2d(batch, pool_size, stride, padding)
    return Y if X.dim() == 4 else Y[0, 0]


def global_avg_pool(X):
    return F.adaptive_avg_pool2d(X, (1, 1)).flatten(1)
