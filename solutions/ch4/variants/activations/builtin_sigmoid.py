"""Wrong: sigmoid and tanh call the built-ins torch.sigmoid and torch.tanh, which the exercise forbids."""

import torch

VERDICT = "wrong"


def sigmoid(x):
    return torch.sigmoid(x)


def tanh(x):
    return torch.tanh(x)


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
