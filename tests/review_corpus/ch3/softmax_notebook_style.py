# source: github.com/lileidev/dive-into-dl softmax_reg.py lines 1-27 (rewritten for ch3.softmax)
# exercise: ch3.softmax
import numpy as np
import torch

num_inputs = 784
num_outputs = 10

W = torch.tensor(np.random.normal(0, 0.01, (num_inputs, num_outputs)), dtype=torch.float)
b = torch.zeros(num_outputs, dtype=torch.float)
W.requires_grad_(requires_grad=True)
b.requires_grad_(requires_grad=True)


def softmax(X):
    X_exp = (X - X.max(dim=1, keepdim=True)[0]).exp()
    partition = X_exp.sum(dim=1, keepdim=True)
    return X_exp / partition


def net(X):
    return softmax(torch.mm(X.view((-1, num_inputs)), W) + b)


def cross_entropy(y_hat, y):
    return (-torch.log(y_hat.gather(1, y.view(-1, 1)))).mean()


def cross_entropy_logits(logits, y):
    top = logits.max(dim=1, keepdim=True)[0]
    log_z = top + (logits - top).exp().sum(dim=1, keepdim=True).log()
    return (log_z - logits.gather(1, y.view(-1, 1))).mean()
