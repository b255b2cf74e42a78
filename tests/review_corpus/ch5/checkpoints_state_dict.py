# source: github.com/d2l-ai/d2l-en d2l/torch.py lines 1-33 (rewritten for ch5.checkpoints)
# exercise: ch5.checkpoints
import os
from pathlib import Path

import torch


def save_checkpoint(path, model, optimizer, epoch, results=None):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.save({"epoch": epoch, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(), "results": results or {}}, path)


def load_checkpoint(path, model, optimizer=None, map_location="cpu"):
    checkpoint = torch.load(path, map_location=map_location)
    model.load_state_dict(checkpoint["model_state_dict"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return checkpoint["epoch"], checkpoint.get("results", {})


def _run_epoch(model, train_iter, loss_fn, optimizer):
    model.train()
    total = 0.0
    for X, y in train_iter:
        optimizer.zero_grad()
        l = loss_fn(model(X), y)
        l.backward()
        optimizer.step()
        total += l.item()
    return total


def train_with_checkpoints(model, train_iter, loss_fn, optimizer, num_epochs, path, every=1):
    losses = []
    for epoch in range(1, num_epochs + 1):
        losses.append(_run_epoch(model, train_iter, loss_fn, optimizer))
        if epoch % every == 0 or epoch == num_epochs:
            save_checkpoint(path, model, optimizer, epoch, {"losses": losses})
    return {"losses": losses}


def resume_training(model, train_iter, loss_fn, optimizer, path, num_epochs, every=1):
    start, results = load_checkpoint(path, model, optimizer)
    losses = list(results.get("losses", []))
    for epoch in range(start + 1, num_epochs + 1):
        losses.append(_run_epoch(model, train_iter, loss_fn, optimizer))
        if epoch % every == 0 or epoch == num_epochs:
            save_checkpoint(Path(path), model, optimizer, epoch, {"losses": losses})
    return {"losses": losses}
