# source: github.com/Undernoone/Deep_Learning_Practice__Li-Mu 6.Model selection Overfitting Underfitting.py lines 1-40 (rewritten for ch4.model_selection)
# exercise: ch4.model_selection
import copy

import torch
from torch import nn


def train_val_indices(n, val_size, generator=None):
    perm = torch.randperm(n, generator=generator)
    return perm[val_size:], perm[:val_size]


class EarlyStopping:
    def __init__(self, patience, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best = float("inf")
        self.bad_epochs = 0

    def step(self, val_loss):
        if val_loss < self.best - self.min_delta:
            self.best = val_loss
            self.bad_epochs = 0
            return False
        self.bad_epochs += 1
        return self.bad_epochs >= self.patience


def evaluate_loss(net, data_iter, loss):
    net.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for X, y in data_iter:
            out = net(X)
            total += float(loss(out, y.reshape(out.shape)).sum())
            n += y.numel()
    return total / n


def fit_early_stopping(model, train_iter, val_iter, loss, optimizer, max_epochs=100, patience=3):
    stopper = EarlyStopping(patience)
    best_state, history = copy.deepcopy(model.state_dict()), []
    for epoch in range(max_epochs):
        model.train()
        for X, y in train_iter:
            optimizer.zero_grad()
            loss(model(X), y).mean().backward()
            optimizer.step()
        val = evaluate_loss(model, val_iter, loss)
        history.append(val)
        if val <= stopper.best:
            best_state = copy.deepcopy(model.state_dict())
        if stopper.step(val):
            break
    model.load_state_dict(best_state)
    return {"epochs": len(history), "val_losses": history}
