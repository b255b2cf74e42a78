"""Wrong: computes the gradients with autograd (requires_grad_ and backward), which the exercise forbids."""

import torch

VERDICT = "wrong"


def mlp_grads(X, y, W1, b1, W2, b2, lam=0.0):
    params = [p.detach().clone().requires_grad_(True) for p in (W1, b1, W2, b2)]
    w1, c1, w2, c2 = params
    with torch.enable_grad():
        Z = X @ w1 + c1
        O = torch.where(Z > 0, Z, torch.zeros_like(Z)) @ w2 + c2
        shifted = O - O.max(dim=1, keepdim=True).values
        log_probs = shifted - torch.exp(shifted).sum(dim=1, keepdim=True).log()
        loss = -log_probs[torch.arange(X.shape[0]), y].mean() + lam / 2 * ((w1 * w1).sum() + (w2 * w2).sum())
        loss.backward()
    return {"loss": loss.detach(), "W1": w1.grad, "b1": c1.grad, "W2": w2.grad, "b2": c2.grad}
