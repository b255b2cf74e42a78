# source: github.com/yyzhang1995/nndl_with_pytorch ch05/section5_4.py lines 1-14 (rewritten for ch6.pooling)
# exercise: ch6.pooling
import torch
import torch.nn as nn


def pool2d(X, pool_size, mode='max'):
    X = X.float()
    p_h, p_w = pool_size
    Y = torch.zeros(size=(X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i:i + p_h, j:j + p_w]
            if mode == 'max':
                Y[i, j] = window.max()
            elif mode == 'avg':
                Y[i, j] = window.sum() / window.numel()
            else:
                raise ValueError(f"unknown mode {mode}")
    return Y


def global_avg_pool(X):
    # (N, C, H, W) -> (N, C, 1, 1): every channel's average, by hand
    total = X.sum(dim=(2, 3), keepdim=True)
    return total / (X.shape[2] * X.shape[3])


if __name__ == "__main__":
    X = torch.tensor([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    print(pool2d(X, (2, 2)))
    print(nn.MaxPool2d(3)(torch.arange(16, dtype=torch.float).view(1, 1, 4, 4)))
