"""Wrong: tanh as (1 - e^{-2x}) / (1 + e^{-2x}) for every x, NaN at x = -1000 (S4's form)."""

import torch

VERDICT = "wrong"


def sigmoid(x):
    z = torch.exp(-torch.abs(x))
    return torch.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def tanh(x):
    e = torch.exp(-2 * x)
    return (1 - e) / (1 + e)


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
