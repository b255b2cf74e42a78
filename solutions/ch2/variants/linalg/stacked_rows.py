"""Correct: flattened norms, matvec as a stack of row dot products, median averaging indices (m-1)//2 and m//2."""

import torch

VERDICT = "correct"


def l1_norm(x):
    return x.reshape(-1).abs().sum(dim=0)


def l2_norm(x):
    flat = x.reshape(-1)
    return (flat * flat).sum(dim=0).sqrt()


def frobenius_norm(X):
    if len(X.shape) != 2:
        raise ValueError("expected a matrix")
    return l2_norm(X)


def matvec(A, x):
    if len(A.shape) != 2:
        raise ValueError("A must be 2-D")
    if len(x.shape) != 1:
        raise ValueError("x must be 1-D")
    if A.shape[1] != len(x):
        raise ValueError("A's number of columns must equal len(x)")
    if A.shape[0] == 0:
        return A.sum(dim=1)
    return torch.stack([(row * x).sum() for row in A])


def column_stats(X):
    if len(X.shape) != 2:
        raise ValueError("expected a matrix")
    m = X.shape[0]
    if m < 2:
        raise ValueError("need two rows or more")
    mean = X.mean(dim=0)
    s, _ = torch.sort(X, dim=0)
    median = (s[(m - 1) // 2] + s[m // 2]) / 2
    std = ((X - mean).pow(2).sum(dim=0) / (m - 1)).sqrt()
    return {"median": median, "std": std, "mean": mean}


def matrix_rank(A, tol=None):
    if A.dim() != 2:
        raise ValueError("expected a matrix")
    S = torch.linalg.svdvals(A)
    if S.numel() == 0:
        return 0
    if tol is None:
        tol = S[0] * max(A.shape) * torch.finfo(A.dtype).eps
    return int(torch.count_nonzero(S > tol))
