# source: github.com/d2l-ai/d2l-en d2l/torch.py lines 1-33 (rewritten for ch4.activations)
# exercise: ch4.activations
import math

import torch


def sigmoid(x):
    # never exp of a large positive number: both branches stay finite
    pos = torch.exp(-x.clamp(min=0))
    neg = torch.exp(x.clamp(max=0))
    return torch.where(x >= 0, 1 / (1 + pos), neg / (1 + neg))


def tanh(x):
    return 2 * sigmoid(2 * x) - 1


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
    return 1 - tanh(x) ** 2


E = math.e
