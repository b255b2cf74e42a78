"""Correct: the seed's (n - 1) // bs + 1 batch loop, randn-based init and noise, 0.5 * d * d loss."""

import torch

VERDICT = "correct"


def synthetic_data(w, b, n, noise=0.01, generator=None):
    X = torch.normal(0.0, 1.0, (n, len(w)), generator=generator, dtype=w.dtype).to(w.device)
    y = torch.matmul(X, w.reshape(-1, 1)) + b
    y += torch.normal(0.0, 1.0, y.shape, generator=generator, dtype=w.dtype).to(w.device) * noise
    return X, y


def data_iter(batch_size, X, y, generator=None):
    n = X.shape[0]
    perm = torch.randperm(n, generator=generator)
    for i in range((n - 1) // batch_size + 1):
        idx = perm[i * batch_size:min((i + 1) * batch_size, n)].to(X.device)
        yield X.index_select(0, idx), y.index_select(0, idx)


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    d = y_hat - y.reshape(y_hat.shape)
    return 0.5 * d * d


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def train_linreg(X, y, lr=0.03, num_epochs=3, batch_size=10, generator=None):
    w = (torch.randn(X.shape[1], 1, generator=generator) * 0.01).to(X.device, X.dtype)
    w.requires_grad_(True)
    b = torch.zeros(1, dtype=X.dtype, device=X.device, requires_grad=True)
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y, generator):
            l = squared_loss(linreg(X_b, w, b), y_b)
            l.sum().backward()
            sgd([w, b], lr, batch_size)
    return w.detach(), b.detach()
