"""Correct: writes and reads through open file objects, names copies with os.path.splitext, a while loop to resume."""

import os

from pathlib import Path

import torch

VERDICT = "correct"


def save_checkpoint(path, model, optimizer, epoch, results):
    checkpoint = dict(epoch=epoch, model_state_dict=model.state_dict(),
                      optimizer_state_dict=optimizer.state_dict(), results=results)
    with open(path, "wb") as f:
        torch.save(checkpoint, f)

def load_checkpoint(path, model, optimizer=None, map_location="cpu"):
    with open(path, "rb") as f:
        ckpt = torch.load(f, map_location=map_location, weights_only=True)
    model.load_state_dict(ckpt["model_state_dict"])
    if optimizer:
        optimizer.load_state_dict(ckpt["optimizer_state_dict"])
    return (ckpt["epoch"], ckpt["results"])

def _one_epoch(model, train_iter, loss_fn, optimizer):
    model.train()
    losses, hits, seen = [], 0, 0
    for X, y in train_iter:
        out = model(X)
        loss = loss_fn(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss) * y.numel())
        hits += (out.argmax(1) == y).sum().item()
        seen += y.numel()
    return sum(losses) / seen, hits / seen


def _save_all(path, model, optimizer, epoch, results, every):
    save_checkpoint(path, model, optimizer, epoch, results)
    if every and epoch % every == 0:
        root, ext = os.path.splitext(str(path))
        save_checkpoint(f"{root}_epoch{epoch}{ext}", model, optimizer, epoch, results)

def train_with_checkpoints(model, train_iter, loss_fn, optimizer, num_epochs, path, every=None):
    results = {"train_loss": [], "train_acc": []}
    for epoch in range(1, num_epochs + 1):
        loss, acc = _one_epoch(model, train_iter, loss_fn, optimizer)
        results["train_loss"].append(loss)
        results["train_acc"].append(acc)
        _save_all(path, model, optimizer, epoch, results, every)
    return results

def resume_training(model, train_iter, loss_fn, optimizer, path, total_epochs, every=None):
    epoch, results = load_checkpoint(path, model, optimizer, map_location="cpu")
    while epoch < total_epochs:
        epoch += 1
        loss, acc = _one_epoch(model, train_iter, loss_fn, optimizer)
        results["train_loss"].append(loss)
        results["train_acc"].append(acc)
        _save_all(path, model, optimizer, epoch, results, every)
    return results
