# source: github.com/Undernoone/Deep_Learning_Practice__Li-Mu 5.Multilayer Perceptron.py lines 1-40 (rewritten for ch4.activations)
# exercise: ch4.activations
import torch
from torch import Tensor


def sigmoid(x: Tensor) -> Tensor:
    z = torch.exp(-torch.abs(x))
    return torch.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def tanh(x: Tensor) -> Tensor:
    z = torch.exp(-2.0 * torch.abs(x))
    return torch.sign(x) * (1.0 - z) / (1.0 + z)


def swish(x: Tensor) -> Tensor:
    return x * sigmoid(x)


def leaky_relu(x: Tensor, k: float = 0.01) -> Tensor:
    return torch.maximum(x, k * x) if k <= 1 else torch.minimum(x, k * x)


def prelu(x: Tensor, alpha: float) -> Tensor:
    return torch.where(x >= 0, x, alpha * x)


def sigmoid_grad(x: Tensor) -> Tensor:
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh_grad(x: Tensor) -> Tensor:
    t = tanh(x)
    return 1.0 - t * t
