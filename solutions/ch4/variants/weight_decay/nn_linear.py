"""Correct: an nn.Linear with zeroed parameters, per-group weight decay, returning weight.T."""

import torch
from torch import nn

VERDICT = "correct"


def l2_penalty(w):
    return w.pow(2).sum().mul(0.5)


def train_weight_decay(X, y, lam, mode="penalty", lr=0.003, num_epochs=10, batch_size=5):
    if mode == "penalty":
        decay = 0.0
    elif mode == "optimizer":
        decay = lam
    else:
        raise ValueError(mode)
    net = nn.Linear(X.shape[1], 1).to(device=X.device, dtype=X.dtype)
    nn.init.zeros_(net.weight)
    nn.init.zeros_(net.bias)
    trainer = torch.optim.SGD([{"params": net.weight, "weight_decay": decay},
                               {"params": net.bias, "weight_decay": 0.0}], lr=lr)
    Y = y.reshape(len(y), 1)
    for epoch in range(num_epochs):
        i = 0
        while i < len(X):
            out = net(X[i:i + batch_size])
            l = 0.5 * (out - Y[i:i + batch_size]).square().mean()
            if mode == "penalty":
                l = l + lam * l2_penalty(net.weight)
            trainer.zero_grad()
            l.backward()
            trainer.step()
            i += batch_size
    return net.weight.detach().T.clone(), net.bias.detach().clone()
