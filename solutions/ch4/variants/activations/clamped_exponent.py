"""Correct: exponents clamped to a safe range, masks instead of torch.where, sign-based tanh."""

import torch

VERDICT = "correct"


def sigmoid(x):
    pos = (x >= 0).to(x.dtype)
    z = torch.exp(-x.abs())
    return pos / (1 + z) + (1 - pos) * z / (1 + z)


def tanh(x):
    e = torch.exp(-2 * x.abs())
    return torch.sign(x) * (1 - e) / (1 + e)


def swish(x):
    return x * sigmoid(x)


def leaky_relu(x, k=0.01):
    return x.clamp(min=0) + k * x.clamp(max=0)


def prelu(x, alpha):
    neg = x < 0
    out = x.clone()
    out[neg] = alpha * x[neg]
    return out


def sigmoid_grad(x):
    return sigmoid(x) * sigmoid(-x)


def tanh_grad(x):
    return (1 - tanh(x)) * (1 + tanh(x))
