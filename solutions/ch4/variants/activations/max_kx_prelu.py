"""Wrong: prelu as max(alpha * x, x) (S4's leaky form), which is wrong for alpha > 1."""

import torch

VERDICT = "wrong"
LOSES_ONLY = ["test_prelu_examples"]   # one slip, one check: the clause table says which


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
    return torch.maximum(alpha * x, x)


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def tanh_grad(x):
    t = tanh(x)
    return 1 - t * t
