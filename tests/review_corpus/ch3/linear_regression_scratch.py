# source: github.com/luuyu/All_Coding_Test python/zjs.py lines 1-24 (rewritten for ch3.linear_regression)
# exercise: ch3.linear_regression
import random

import torch


def synthetic_data(w, b, n, noise=0.01, generator=None):
    X = torch.normal(0, 1, (n, len(w)), generator=generator)
    y = torch.matmul(X, w) + b
    y += torch.normal(0, noise, y.shape, generator=generator)
    return X, y.reshape((-1, 1))


def data_iter(batch_size, X, y, shuffle=True):
    num_examples = len(X)
    indices = list(range(num_examples))
    if shuffle:
        random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i:min(i + batch_size, num_examples)])
        yield X[batch_indices], y[batch_indices]


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def train_linreg(X, y, lr=0.03, num_epochs=3, batch_size=10):
    w = torch.normal(0, 0.01, size=(X.shape[1], 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter(batch_size, X, y):
            l = squared_loss(linreg(X_b, w, b), y_b)
            l.sum().backward()
            sgd([w, b], lr, batch_size)
        with torch.no_grad():
            train_l = squared_loss(linreg(X, w, b), y)
            print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')
    return w.detach(), b.detach()


true_w = torch.tensor([2, -3.4])
true_b = 4.2
