"""Wrong: softmax exponentiates the raw logits (inf/inf = NaN at 1000)."""

import torch
import torch.nn.functional as F

VERDICT = "wrong"


def softmax(X):
    exps = torch.exp(X)
    return exps / exps.sum(dim=1, keepdim=True)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[torch.arange(y_hat.shape[0], device=y_hat.device), y]).mean()


def cross_entropy_logits(logits, y):
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))
    return (lse - logits[torch.arange(logits.shape[0], device=logits.device), y]).mean()
