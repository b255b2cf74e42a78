"""Wrong: y_hat[:, y] picks whole columns, so the loss averages over an n x n block."""

import torch
import torch.nn.functional as F

VERDICT = "wrong"


def softmax(X):
    shifted = X - X.max(dim=1, keepdim=True).values
    exps = torch.exp(shifted)
    return exps / exps.sum(dim=1, keepdim=True)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[:, y]).mean()


def cross_entropy_logits(logits, y):
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))
    return (lse[:, None] - logits[:, y]).mean()
