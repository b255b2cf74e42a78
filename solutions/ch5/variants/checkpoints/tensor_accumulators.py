"""Correct: accumulates loss and accuracy in tensors and converts with .item(); the resumed run reuses train_with_checkpoints' loop through a start argument."""

from pathlib import Path

import torch

VERDICT = "correct"


def save_checkpoint(path, model, optimizer, epoch, results):
    torch.save({"epoch": epoch, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(), "results": results}, path)

def load_checkpoint(path, model, optimizer=None, map_location="cpu"):
    ckpt = torch.load(path, map_location=map_location, weights_only=True)
    model.load_state_dict(ckpt["model_state_dict"])
    if optimizer is not None:
        optimizer.load_state_dict(ckpt["optimizer_state_dict"])
    return ckpt["epoch"], ckpt["results"]

def _epochs(model, train_iter, loss_fn, optimizer, first, last, path, every, results):
    for epoch in range(first, last + 1):
        model.train()
        loss_sum = torch.zeros(())
        correct = torch.zeros((), dtype=torch.long)
        count = 0
        for X, y in train_iter:
            optimizer.zero_grad(set_to_none=True)
            out = model(X)
            loss = loss_fn(out, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * y.shape[0]
            correct += (out.argmax(dim=-1) == y).sum()
            count += y.shape[0]
        results.setdefault("train_loss", []).append((loss_sum / count).item())
        results.setdefault("train_acc", []).append(correct.item() / count)
        save_checkpoint(path, model, optimizer, epoch, results)
        if every and epoch % every == 0:
            p = Path(path)
            save_checkpoint(p.parent / (p.stem + "_epoch" + str(epoch) + p.suffix), model, optimizer, epoch, results)
    return results

def train_with_checkpoints(model, train_iter, loss_fn, optimizer, num_epochs, path, every=None):
    return _epochs(model, train_iter, loss_fn, optimizer, 1, num_epochs, path, every, {})

def resume_training(model, train_iter, loss_fn, optimizer, path, total_epochs, every=None):
    done, results = load_checkpoint(path, model, optimizer)
    return _epochs(model, train_iter, loss_fn, optimizer, done + 1, total_epochs, path, every, results)
