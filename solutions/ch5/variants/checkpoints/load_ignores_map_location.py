"""Wrong: map_location is not passed to torch.load, so a GPU checkpoint's tensors stay on the GPU (seen
on any machine with map_location="meta")."""

from pathlib import Path

import torch

VERDICT = "wrong"
LOSES_ONLY = ["test_load_map_location"]


def save_checkpoint(path, model, optimizer, epoch, results):
    torch.save({"epoch": epoch, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(), "results": results}, path)

def load_checkpoint(path, model, optimizer=None, map_location="cpu"):
    ckpt = torch.load(path, weights_only=True)
    model.load_state_dict(ckpt["model_state_dict"])
    if optimizer is not None:
        optimizer.load_state_dict(ckpt["optimizer_state_dict"])
    return ckpt["epoch"], ckpt["results"]

def _epochs(model, train_iter, loss_fn, optimizer, first, last, path, every, results):
    results.setdefault("train_loss", [])
    results.setdefault("train_acc", [])
    for epoch in range(first, last + 1):
        model.train()
        total, correct, n = 0.0, 0, 0
        for X, y in train_iter:
            optimizer.zero_grad()
            out = model(X)
            loss = loss_fn(out, y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            correct += int((out.argmax(dim=1) == y).sum())
            n += len(y)
        results["train_loss"].append(total / n)
        results["train_acc"].append(correct / n)
        save_checkpoint(path, model, optimizer, epoch, results)
        if every is not None and epoch % every == 0:
            p = Path(path)
            save_checkpoint(p.with_name(f"{p.stem}_epoch{epoch}{p.suffix}"), model, optimizer, epoch, results)
    return results

def train_with_checkpoints(model, train_iter, loss_fn, optimizer, num_epochs, path, every=None):
    return _epochs(model, train_iter, loss_fn, optimizer, 1, num_epochs, path, every, {})

def resume_training(model, train_iter, loss_fn, optimizer, path, total_epochs, every=None):
    done, results = load_checkpoint(path, model, optimizer)
    return _epochs(model, train_iter, loss_fn, optimizer, done + 1, total_epochs, path, every, results)
