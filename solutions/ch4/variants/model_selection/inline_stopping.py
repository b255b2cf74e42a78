"""Correct: split by argsort of uniform draws, EarlyStopping with deepcopy and a history, fit with its own stopping logic."""

import copy
import math

import torch
from torch import nn

VERDICT = "correct"


def train_val_indices(n, val_size, generator=None):
    if val_size < 1 or val_size > n - 1:
        raise ValueError(f"need 1 <= val_size <= {n - 1}")
    order = torch.argsort(torch.rand(n, generator=generator))   # a random permutation too
    return order[val_size:], order[:val_size]


class EarlyStopping:
    def __init__(self, patience, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_score = self.best_epoch = self.best_state = None
        self._best = -math.inf
        self._history = []

    def step(self, score, model):
        self._history.append(score)
        if score > self._best + self.min_delta:
            self._best = score
            self.best_score = score
            self.best_epoch = len(self._history)
            self.best_state = copy.deepcopy(model.state_dict())
        return len(self._history) - self.best_epoch >= self.patience


def fit_early_stopping(model, train_iter, val_iter, loss, optimizer, max_epochs, patience):
    best_acc, best_epoch, best_weights, epoch = None, 0, None, 0
    while epoch < max_epochs:
        epoch += 1
        model.train()
        for X, y in train_iter:
            l = loss(model(X), y).mean()
            optimizer.zero_grad()
            l.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            hits = [(model(X).argmax(1) == y).sum().item() for X, y in val_iter]
            n = sum(len(y) for _, y in val_iter)
        acc = sum(hits) / n
        if best_acc is None or acc > best_acc:
            best_acc, best_epoch = acc, epoch
            best_weights = {k: v.clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_weights)
    return {"best_epoch": best_epoch, "best_val_acc": float(best_acc), "epochs_run": epoch}
