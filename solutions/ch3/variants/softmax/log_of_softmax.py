"""Wrong: cross_entropy_logits takes log(softmax(logits)), which is -inf when a probability underflows."""

import torch
import torch.nn.functional as F

VERDICT = "wrong"


def softmax(X):
    shifted = X - X.max(dim=1, keepdim=True).values
    exps = torch.exp(shifted)
    return exps / exps.sum(dim=1, keepdim=True)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[torch.arange(y_hat.shape[0], device=y_hat.device), y]).mean()


def cross_entropy_logits(logits, y):
    return cross_entropy(softmax(logits), y)
