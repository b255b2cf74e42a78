"""Correct: gradients written by hand (no autograd, no optimizer); both modes are the same update."""

import torch

VERDICT = "correct"


def l2_penalty(w):
    return 0.5 * torch.dot(w.reshape(-1), w.reshape(-1))


def train_weight_decay(X, y, lam, mode="penalty", lr=0.003, num_epochs=10, batch_size=5):
    if mode not in {"penalty", "optimizer"}:
        raise ValueError("mode must be 'penalty' or 'optimizer'")
    d = X.shape[1]
    w = X.new_zeros(d, 1)
    b = X.new_zeros(1)
    Y = y.reshape(-1, 1)
    for _ in range(num_epochs):
        for Xb, yb in zip(X.split(batch_size), Y.split(batch_size)):
            r = Xb @ w + b - yb                    # residuals of the minibatch
            grad_w = Xb.T @ r / len(Xb) + lam * w  # the penalty (or weight decay) adds lam * w
            grad_b = r.mean(dim=0)
            w = w - lr * grad_w
            b = b - lr * grad_b
    return w, b
