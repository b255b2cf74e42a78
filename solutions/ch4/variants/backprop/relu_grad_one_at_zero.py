"""Wrong: the ReLU's derivative at a pre-activation of exactly 0 taken as 1 (Z >= 0), not 0 as PyTorch has it."""

import torch

VERDICT = "wrong"


def mlp_grads(X, y, W1, b1, W2, b2, lam=0.0):
    n = X.shape[0]
    rows = torch.arange(n, device=X.device)
    Z = X @ W1 + b1
    H = torch.where(Z > 0, Z, torch.zeros_like(Z))
    O = H @ W2 + b2
    shifted = O - O.max(dim=1, keepdim=True).values
    E = torch.exp(shifted)
    S = E.sum(dim=1, keepdim=True)
    log_probs = shifted - torch.log(S)
    penalty = (lam / 2) * ((W1 * W1).sum() + (W2 * W2).sum())
    loss = -log_probs[rows, y].mean() + penalty
    G_O = E / S
    G_O[rows, y] -= 1.0
    G_O = G_O / n
    grad_W2 = H.T @ G_O + lam * W2
    grad_b2 = G_O.sum(dim=0)
    G_H = G_O @ W2.T
    G_Z = G_H * (Z >= 0).to(G_H.dtype)
    grad_W1 = X.T @ G_Z + lam * W1
    grad_b1 = G_Z.sum(dim=0)
    return {"loss": loss, "W1": grad_W1, "b1": grad_b1, "W2": grad_W2, "b2": grad_b2}
