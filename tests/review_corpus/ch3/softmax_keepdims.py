# source: github.com/jasonmeverett/ml-playground src/jevml/utils.py lines 1-12 (rewritten for ch3.softmax)
# exercise: ch3.softmax
import torch


def softmax(X):
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    partition = X_exp.sum(1, keepdims=True)
    return X_exp / partition


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[list(range(len(y_hat))), y]).mean()


def cross_entropy_logits(logits, y):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    return -log_probs[range(len(y)), y].mean()
