# source: github.com/hanasa2023/vscode-config User/History/-9400567/qkDK.py lines 1-17 (rewritten for ch3.linear_regression)
# exercise: ch3.linear_regression
import random

import matplotlib.pyplot as plt
import numpy as np
import torch


def synthetic_data(w, b, n, noise=0.01, generator=None):
    X = torch.randn((n, len(w)), generator=generator)
    y = X @ w + b + noise * torch.randn(n, generator=generator)
    return X, y.reshape(-1, 1)


def data_iter(batch_size, X, y, shuffle=True):
    order = list(range(len(X)))
    if shuffle:
        random.shuffle(order)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def linreg(X, w, b):
    return X @ w + b


def squared_loss(y_hat, y):
    diff = y_hat - y.view(y_hat.shape)
    return diff * diff / 2


def sgd(params, lr, batch_size):
    for param in params:
        param.data.sub_(lr * param.grad / batch_size)
        param.grad.data.zero_()


def train_linreg(X, y, lr=0.03, num_epochs=3, batch_size=10):
    w = torch.zeros((X.shape[1], 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for _ in range(num_epochs):
        for Xb, yb in data_iter(batch_size, X, y):
            squared_loss(linreg(Xb, w, b), yb).sum().backward()
            sgd([w, b], lr, batch_size)
    return w.detach(), b.detach()


def show(X, y):
    plt.scatter(X[:, 1].detach().numpy(), np.asarray(y.detach()), 1)
    plt.show()
