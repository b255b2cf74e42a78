"""Correct: a hand-made log-softmax (shift, then subtract the log of the shifted sum) and gather."""

import torch
import torch.nn.functional as F

VERDICT = "correct"


def softmax(X):
    # exp(X - logsumexp(X)) computed by hand, per row.
    m = X.amax(dim=1, keepdim=True)
    lse = m + torch.log(torch.exp(X - m).sum(dim=1, keepdim=True))
    return torch.exp(X - lse)


def cross_entropy(y_hat, y):
    return -torch.gather(y_hat, 1, y.unsqueeze(1)).log().mean()


def cross_entropy_logits(logits, y):
    shifted = logits - logits.amax(dim=1, keepdim=True)
    log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    return -log_probs.gather(1, y.view(-1, 1)).squeeze(1).mean()
