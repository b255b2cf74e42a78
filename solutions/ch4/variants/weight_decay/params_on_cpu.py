"""Wrong: w and b are made without device=X.device, on the CPU whatever X's device."""

import torch

VERDICT = "wrong"


def l2_penalty(w):
    return (w * w).sum() / 2


def train_weight_decay(X, y, lam, mode="penalty", lr=0.003, num_epochs=10, batch_size=5):
    if mode not in ("penalty", "optimizer"):
        raise ValueError(f"unknown mode {mode!r}")
    n, d = X.shape
    targets = y.reshape(-1, 1)
    w = torch.zeros(d, 1, dtype=X.dtype, requires_grad=True)
    b = torch.zeros(1, dtype=X.dtype, requires_grad=True)
    if mode == "penalty":
        optimizer = torch.optim.SGD([w, b], lr=lr)
    else:
        optimizer = torch.optim.SGD([{"params": [w], "weight_decay": lam}, {"params": [b]}], lr=lr)
    for _ in range(num_epochs):
        for start in range(0, n, batch_size):
            Xb, yb = X[start:start + batch_size].float(), targets[start:start + batch_size].float()
            loss = ((Xb @ w + b - yb) ** 2 / 2).mean()
            if mode == "penalty":
                loss = loss + lam * l2_penalty(w)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return w.detach(), b.detach()
