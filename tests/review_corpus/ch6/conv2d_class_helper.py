# source: github.com/Hazer-BJTU/Deep-Learning-from-scratch Utility/Conv2D.py lines 1-29 (rewritten for ch6.convolution)
# exercise: ch6.convolution
import torch
from torch import nn


def corr2d(X, K):
    kh, kw = K.shape
    rows, cols = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    Y = torch.zeros(rows, cols)
    for r in range(rows):
        for c in range(cols):
            Y[r, c] = torch.sum(X[r:r + kh, c:c + kw] * K)
    return Y


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super(Conv2D, self).__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size, lr=0.03, num_epochs=10):
    layer = Conv2D(kernel_size)
    optimizer = torch.optim.SGD(layer.parameters(), lr=lr)
    for _ in range(num_epochs):
        optimizer.zero_grad()
        l = ((layer(X) - Y) ** 2).sum()
        l.backward()
        optimizer.step()
    return layer.weight.detach()


if __name__ == '__main__':
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    print(X)
    K = torch.tensor([[1.0, -1.0]])
    print(corr2d(X, K))
