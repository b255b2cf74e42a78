"""Wrong: the sigmoid written e^x / (e^x + 1), which is inf / inf = NaN for large x (S2's formula)."""

import torch

VERDICT = "wrong"


def sigmoid(x):
    e = torch.exp(x)
    return e / (e + 1)


def tanh(x):
    m = torch.expm1(-2.0 * torch.abs(x))
    magnitude = -m / (2.0 + m)
    return torch.where(x < 0, -magnitude, magnitude)


def swish(x):
    return x * sigmoid(x)


def leaky_relu(x, k=0.01):
    return torch.where(x > 0, x, k * x)


def prelu(x, alpha):
    return torch.where(x > 0, x, alpha * x)


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def tanh_grad(x):
    t = tanh(x)
    return 1 - t * t
