"""Correct: row-by-row matvec into a preallocated tensor, median from kthvalue, full SVD for the rank."""

import torch

VERDICT = "correct"


def l1_norm(x):
    return torch.sum(torch.abs(x))


def l2_norm(x):
    return torch.sum(x ** 2) ** 0.5


def frobenius_norm(X):
    if X.ndim != 2:
        raise ValueError("frobenius_norm needs a 2-D tensor")
    return l2_norm(X)


def matvec(A, x):
    if A.ndim != 2 or x.ndim != 1 or A.shape[1] != x.shape[0]:
        raise ValueError(f"cannot multiply {tuple(A.shape)} by {tuple(x.shape)}")
    out = torch.empty(A.shape[0], dtype=torch.promote_types(A.dtype, x.dtype), device=A.device)
    for i in range(A.shape[0]):
        out[i] = (A[i] * x).sum()
    return out


def column_stats(X):
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError("column_stats needs a matrix with at least 2 rows")
    m = X.shape[0]
    mean = torch.sum(X, dim=0) / m
    low = torch.kthvalue(X, (m + 1) // 2, dim=0).values
    high = torch.kthvalue(X, m // 2 + 1, dim=0).values
    median = low if m % 2 else (low + high) / 2
    centred = X - mean
    std = (torch.sum(centred * centred, dim=0) / (m - 1)).sqrt()
    return {"mean": mean, "median": median, "std": std}


def matrix_rank(A, tol=None):
    if A.ndim != 2:
        raise ValueError("matrix_rank needs a 2-D tensor")
    if min(A.shape) == 0:
        return 0
    S = torch.linalg.svd(A, full_matrices=False).S
    if tol is None:
        tol = S.max().item() * max(A.shape[0], A.shape[1]) * torch.finfo(A.dtype).eps
    return sum(1 for s in S.tolist() if s > tol)
