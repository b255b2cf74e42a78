"""Correct: sigma(x) = exp(-softplus(-x)) and tanh(x) = 2 sigma(2x) - 1, grads through them."""

import torch

VERDICT = "correct"


def sigmoid(x):
    return torch.exp(-torch.nn.functional.softplus(-x))


def tanh(x):
    return 2 * sigmoid(2 * x) - 1


def swish(x):
    return x * torch.exp(-torch.nn.functional.softplus(-x))


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
