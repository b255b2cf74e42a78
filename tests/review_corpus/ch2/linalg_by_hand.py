# source: github.com/d2l-ai/d2l-en d2l/torch.py lines 123-146 (rewritten for ch2.linalg)
# exercise: ch2.linalg
import math

import torch


def l1_norm(x):
    return torch.abs(x).sum()


def l2_norm(x):
    return torch.sqrt((x * x).sum())


def frobenius_norm(X):
    return torch.sqrt((X ** 2).sum())


def matvec(A, x):
    out = torch.zeros(A.shape[0], dtype=A.dtype)
    for i in range(A.shape[0]):
        out[i] = (A[i] * x).sum()
    return out


def column_stats(X):
    n = X.shape[0]
    mean = X.sum(dim=0) / n
    var = ((X - mean) ** 2).sum(dim=0) / (n - 1)
    ordered = X.sort(dim=0).values
    mid = n // 2
    median = ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return {"mean": mean, "std": var.sqrt(), "median": median}


def matrix_rank(A, tol=None):
    s = torch.linalg.svdvals(A.double())
    if tol is None:
        tol = s.max() * max(A.shape) * torch.finfo(torch.float64).eps
    return int((s > tol).sum())


EPS = math.ulp(1.0)
