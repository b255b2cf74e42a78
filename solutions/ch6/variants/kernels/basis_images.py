"""Correct: W column by column from the responses to one-pixel images; difference kernels by repeated [1, -1]; convolve2d by unfold + einsum."""

import math

import torch

VERDICT = "correct"

def blur_kernel(k=3):
    if k <= 0:
        raise ValueError("k must be at least 1")
    return torch.ones(k, k, dtype=torch.float32) / k ** 2


def edge_kernel():
    return torch.tensor([[-1.0, -1.0, -1.0], [-1.0, 8.0, -1.0], [-1.0, -1.0, -1.0]])


def horizontal_edge_kernel():
    return torch.stack([-torch.ones(3), torch.zeros(3), torch.ones(3)])


def difference_kernel(order):
    if order < 0:
        raise ValueError("negative order")
    coeffs = [1.0]
    for _ in range(order):          # multiply the polynomial by (1 - z)
        coeffs = [a - b for a, b in zip(coeffs + [0.0], [0.0] + coeffs)]
    return torch.tensor(coeffs).reshape(1, -1)


def _corr2d(X, K):
    kh, kw = K.shape
    return (X.unfold(0, kh, 1).unfold(1, kw, 1) * K).sum(dim=(-2, -1))


def corr2d_as_matmul(in_shape, K):
    h, w = in_shape
    if K.shape[0] > h or K.shape[1] > w:
        raise ValueError("kernel does not fit")
    columns = []
    for p in range(h * w):
        E = torch.zeros(h * w, dtype=K.dtype, device=K.device)
        E[p] = 1
        columns.append(_corr2d(E.reshape(h, w), K).flatten())
    return torch.stack(columns, dim=1)


def convolve2d(X, K):
    if K.shape[0] > X.shape[0] or K.shape[1] > X.shape[1]:
        raise ValueError("kernel does not fit")
    windows = X.unfold(0, K.shape[0], 1).unfold(1, K.shape[1], 1)
    return torch.einsum("ijab,ab->ij", windows, torch.flip(K, dims=(0, 1)))
