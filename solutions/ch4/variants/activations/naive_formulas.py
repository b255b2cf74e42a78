"""Correct: the textbook 1 / (1 + e^-x) (0 at x = -1000, never NaN), tanh as 2 sigma(2x) - 1, pReLU as max(0, x) + alpha min(0, x) (S3), leaky ReLU as max(kx, x) for k <= 1, tanh' as sech^2."""

import torch

VERDICT = "correct"


def sigmoid(x):
    return 1 / (1 + torch.exp(-x))


def tanh(x):
    return 2 * sigmoid(2 * x) - 1


def swish(x):
    return x / (1 + torch.exp(-x))


def leaky_relu(x, k=0.01):
    return torch.maximum(k * x, x)


def prelu(x, alpha):
    zeros = torch.zeros_like(x)
    return torch.max(zeros, x) + alpha * torch.min(zeros, x)


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def tanh_grad(x):
    # sech(x)^2 = 4 / (e^x + e^-x)^2; an overflowing denominator gives the right 0
    return 4 / (torch.exp(x) + torch.exp(-x)) ** 2
