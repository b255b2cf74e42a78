# source: github.com/shy-UCAS/transformer basic_operators/convolutional_nn.py lines 1-21 (rewritten for ch6.convolution)
# exercise: ch6.convolution
"""Cross-correlation by two loops, a layer with a learnable kernel, and a kernel learned from data."""
import torch
from torch import nn


def corr2d(X, K):
    """Slide K over X and sum the products at every position."""
    h, w = K.shape
    out = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return out


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(kernel_size))
        self.bias = nn.Parameter(torch.randn(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_epochs=10):
    conv = Conv2D(kernel_size)
    for epoch in range(num_epochs):
        Y_hat = conv(X)
        loss = ((Y_hat - Y) ** 2).sum()
        conv.zero_grad()
        loss.backward()
        conv.weight.data[:] -= lr * conv.weight.grad
        conv.bias.data[:] -= lr * conv.bias.grad
        if (epoch + 1) % 2 == 0:
            print(f"epoch {epoch + 1}, loss {loss:.3f}")
    return conv.weight.data


if __name__ == "__main__":
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    K = torch.tensor([[1.0, -1.0]])
    print(corr2d(X, K))
    print(learn_kernel(X, corr2d(X, K), (1, 2)))
