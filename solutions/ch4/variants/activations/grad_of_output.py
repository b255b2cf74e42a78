"""Wrong: sigmoid_grad and tanh_grad treat their argument as the function's output (s * (1 - s) with s = x)."""

import torch

VERDICT = "wrong"


def sigmoid(x):
    z = torch.exp(-torch.abs(x))
    return torch.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


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
    return x * (1 - x)


def tanh_grad(x):
    return 1 - x * x
