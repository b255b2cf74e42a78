"""Wrong: calls the banned built-ins torch.softmax and F.cross_entropy."""

import torch
import torch.nn.functional as F

VERDICT = "wrong"


def softmax(X):
    return torch.softmax(X, dim=1)


def cross_entropy(y_hat, y):
    return F.nll_loss(torch.log(y_hat), y)


def cross_entropy_logits(logits, y):
    return F.cross_entropy(logits, y)
