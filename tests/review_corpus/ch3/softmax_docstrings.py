# source: github.com/neverorfrog/learning-machine-learning src/toolbox/math.py lines 1-25 (rewritten for ch3.softmax)
# exercise: ch3.softmax
import torch


def softmax(X):
    '''
    A matrix of the same shape as X whose rows are probabilities:
    every entry between 0 and 1, every row summing to 1.
    '''
    stable = X - X.amax(dim=1, keepdim=True)
    expx = torch.exp(stable)
    partition = expx.sum(dim=1, keepdim=True)
    return expx / partition


def cross_entropy(Y_hat, Y):
    """The average cross-entropy of predicted probabilities Y_hat (n, q) and labels Y (n,)."""
    picked = Y_hat.gather(1, Y.view(-1, 1)).squeeze(1)
    return -torch.log(picked).mean()


def cross_entropy_logits(logits, Y):
    """The same loss from raw scores, with the log-sum-exp trick written out."""
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))
    return (lse - logits.gather(1, Y.view(-1, 1)).squeeze(1)).mean()
