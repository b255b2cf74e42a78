"""Correct: loss through torch.logsumexp, one-hot labels from F.one_hot, the ReLU mask taken from H > 0."""

import torch

VERDICT = "correct"


import torch.nn.functional as F


def mlp_grads(X, y, W1, b1, W2, b2, lam=0.0):
    n, q = X.shape[0], W2.shape[1]
    Z = torch.addmm(b1, X, W1)
    H = Z * (Z > 0)
    O = torch.addmm(b2, H, W2)
    lse = torch.logsumexp(O, dim=1, keepdim=True)
    Y = F.one_hot(y, q).to(O.dtype)
    loss = (lse.squeeze(1) - (O * Y).sum(dim=1)).mean() + lam / 2 * (W1.pow(2).sum() + W2.pow(2).sum())
    dO = (torch.exp(O - lse) - Y) / n
    dH = dO @ W2.T
    dZ = torch.where(H > 0, dH, torch.zeros_like(dH))
    return {"loss": loss, "W2": H.T @ dO + lam * W2, "b2": dO.sum(0),
            "W1": X.T @ dZ + lam * W1, "b1": dZ.sum(0)}
