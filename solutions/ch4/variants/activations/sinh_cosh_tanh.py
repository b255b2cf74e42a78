"""Wrong: tanh as (e^x - e^-x) / (e^x + e^-x), inf / inf at both ends."""

import torch

VERDICT = "wrong"


def sigmoid(x):
    z = torch.exp(-torch.abs(x))
    return torch.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def tanh(x):
    a, b = torch.exp(x), torch.exp(-x)
    return (a - b) / (a + b)


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
