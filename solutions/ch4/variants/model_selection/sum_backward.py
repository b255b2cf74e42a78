"""Wrong: fit_early_stopping backpropagates loss(model(X), y).sum(), not the .mean() the contract asks for: steps as large as the batch."""

import torch
from torch import nn

VERDICT = "wrong"


def train_val_indices(n, val_size, generator=None):
    if not 1 <= val_size <= n - 1:
        raise ValueError("val_size must be between 1 and n - 1")
    perm = torch.randperm(n, generator=generator)
    return perm[:n - val_size], perm[n - val_size:]


class EarlyStopping:
    def __init__(self, patience, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best_score = None
        self.best_epoch = None
        self.best_state = None
        self.epochs = 0
        self.bad = 0

    def step(self, score, model):
        self.epochs += 1
        if self.best_score is None or score > self.best_score + self.min_delta:
            self.best_score = score
            self.best_epoch = self.epochs
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            self.bad = 0
        else:
            self.bad += 1
        return self.bad >= self.patience


def _accuracy(model, data_iter):
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for X, y in data_iter:
            correct += int((model(X).argmax(dim=1) == y).sum())
            total += int(y.numel())
    return correct / total


def fit_early_stopping(model, train_iter, val_iter, loss, optimizer, max_epochs, patience):
    stopper = EarlyStopping(patience)
    epochs_run = 0
    for _ in range(max_epochs):
        model.train()
        for X, y in train_iter:
            optimizer.zero_grad()
            loss(model(X), y).sum().backward()
            optimizer.step()
        epochs_run += 1
        if stopper.step(_accuracy(model, val_iter), model):
            break
    model.load_state_dict(stopper.best_state)
    return {"best_epoch": int(stopper.best_epoch) + 1, "best_val_acc": float(stopper.best_score),
            "epochs_run": epochs_run}
