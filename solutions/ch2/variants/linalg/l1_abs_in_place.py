"""Wrong: l1_norm takes the absolute value in place (x.abs_()), so the caller's x loses its signs."""

import torch

VERDICT = "wrong"


def l1_norm(x):
    return x.abs_().sum()


def l2_norm(x):
    return torch.sqrt((x * x).sum())


def frobenius_norm(X):
    if X.dim() != 2:
        raise ValueError("not a matrix")
    return torch.sqrt((X * X).sum())


def matvec(A, x):
    if A.dim() != 2 or x.dim() != 1:
        raise ValueError("need a matrix and a vector")
    if A.shape[1] != x.shape[0]:
        raise ValueError("lengths do not match")
    return (A * x).sum(dim=1)


def column_stats(X):
    if X.dim() != 2:
        raise ValueError("not a matrix")
    m = X.shape[0]
    if m < 2:
        raise ValueError("need at least 2 rows")
    mean = X.sum(dim=0) / m
    ordered = X.sort(dim=0).values
    if m % 2 == 1:
        median = ordered[m // 2]
    else:
        median = (ordered[m // 2 - 1] + ordered[m // 2]) / 2
    std = torch.sqrt(((X - mean) ** 2).sum(dim=0) / (m - 1))
    return {"mean": mean, "median": median, "std": std}


def matrix_rank(A, tol=None):
    if A.dim() != 2:
        raise ValueError("not a matrix")
    if A.numel() == 0:
        return 0
    S = torch.linalg.svdvals(A)
    if tol is None:
        tol = float(S.max()) * max(A.shape) * torch.finfo(A.dtype).eps
    return int((S > tol).sum())
