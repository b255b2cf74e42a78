"""Wrong: sigmoid converts its input to float32, so float64 inputs come back as float32."""

import torch

VERDICT = "wrong"


def sigmoid(x):
    x = x.float()
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
    s = sigmoid(x)
    return s * (1 - s)


def tanh_grad(x):
    t = tanh(x)
    return 1 - t * t
