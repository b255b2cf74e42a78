"""Correct: plain Python loops over the rows, each row handled on its own."""

import torch
import torch.nn.functional as F

VERDICT = "correct"


def softmax(X):
    rows = []
    for row in X:
        e = torch.exp(row - torch.max(row))
        rows.append(e / torch.sum(e))
    return torch.stack(rows)


def cross_entropy(y_hat, y):
    total = torch.zeros((), dtype=y_hat.dtype, device=y_hat.device)
    for i in range(len(y)):
        total = total - torch.log(y_hat[i, y[i]])
    return total / len(y)


def cross_entropy_logits(logits, y):
    losses = []
    for row, label in zip(logits, y):
        m = row.max()
        losses.append(m + torch.log(torch.exp(row - m).sum()) - row[label])
    return torch.stack(losses).mean()
