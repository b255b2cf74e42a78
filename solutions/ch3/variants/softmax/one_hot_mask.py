"""Correct: selects the true-class entries with a one-hot boolean mask."""

import torch
import torch.nn.functional as F

VERDICT = "correct"


def softmax(X):
    e = (X - X.max(1, keepdim=True)[0]).exp()
    return e / e.sum(1, keepdim=True)


def cross_entropy(y_hat, y):
    mask = F.one_hot(y, num_classes=y_hat.shape[1]).bool()
    return -y_hat[mask].log().mean()


def cross_entropy_logits(logits, y):
    mask = F.one_hot(y, num_classes=logits.shape[1]).bool()
    m = logits.max(1).values
    lse = m + (logits - m[:, None]).exp().sum(1).log()
    return (lse - logits[mask]).mean()
