"""Wrong: synthetic_data draws X on the CPU and never moves it to w's device."""

import torch

VERDICT = "wrong"


def synthetic_data(w, b, n, noise=0.01, generator=None):
    X = torch.normal(0.0, 1.0, (n, len(w)), generator=generator, dtype=w.dtype)
    y = torch.matmul(X, w.reshape(-1, 1)) + b
    y += torch.normal(0.0, 1.0, y.shape, generator=generator, dtype=w.dtype).to(w.device) * noise
    return X, y


def data_iter(batch_size, X, y, generator=None):
    n = len(X)
    indices = torch.randperm(n, generator=generator).tolist()
    for i in range(0, n, batch_size):
        batch = torch.tensor(indices[i:i + batch_size], device=X.device)
        yield X[batch], y[batch]


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def train_linreg(X, y, lr=0.03, num_epochs=3, batch_size=10, generator=None):
    w = torch.normal(0.0, 0.01, (X.shape[1], 1), generator=generator, dtype=X.dtype).to(X.device)
    w.requires_grad_(True)
    b = torch.zeros(1, dtype=X.dtype, device=X.device, requires_grad=True)
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y, generator):
            l = squared_loss(linreg(X_b, w, b), y_b)
            l.sum().backward()
            sgd([w, b], lr, batch_size)
    return w.detach(), b.detach()
