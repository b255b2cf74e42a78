"""Wrong: the loop never calls model.train(), so a model handed over in eval mode trains in eval mode."""

from pathlib import Path

import torch
from torch import nn

VERDICT = "wrong"
LOSES_ONLY = ["test_train_mode"]

def save_checkpoint(path, model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int,
                    results: dict) -> None:
    """Save {"epoch", "model_state_dict", "optimizer_state_dict", "results"} to path."""
    torch.save({"epoch": epoch,
                "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(),
                "results": results}, path)


def load_checkpoint(path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    map_location="cpu") -> tuple[int, dict]:
    """Restore model (and optimizer) from the checkpoint at path; return (epoch, results)."""
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    model.load_state_dict(checkpoint["model_state_dict"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return checkpoint["epoch"], checkpoint["results"]


def _epoch_path(path, epoch: int) -> Path:
    """runs/model.pt, 4 -> runs/model_epoch4.pt"""
    path = Path(path)
    return path.with_name(f"{path.stem}_epoch{epoch}{path.suffix}")


def _train_epochs(model, train_iter, loss_fn, optimizer, first: int, last: int, path, every,
                  results: dict) -> dict:
    """Run epochs first..last (1-based), saving a checkpoint after each; shared by both functions."""
    results.setdefault("train_loss", [])
    results.setdefault("train_acc", [])
    for epoch in range(first, last + 1):
        total_loss, correct, count = 0.0, 0, 0
        for X, y in train_iter:
            optimizer.zero_grad()
            y_hat = model(X)
            loss = loss_fn(y_hat, y)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(y)
            correct += int((y_hat.argmax(dim=1) == y).sum())
            count += len(y)
        results["train_loss"].append(total_loss / count)
        results["train_acc"].append(correct / count)
        save_checkpoint(path, model, optimizer, epoch, results)
        if every is not None and epoch % every == 0:
            save_checkpoint(_epoch_path(path, epoch), model, optimizer, epoch, results)
    return results


def train_with_checkpoints(model: nn.Module, train_iter, loss_fn, optimizer: torch.optim.Optimizer,
                           num_epochs: int, path, every: int | None = None) -> dict:
    """Train num_epochs epochs, checkpointing to path after each (and every `every` epochs to
    <stem>_epoch<k><suffix>); return {"train_loss": [...], "train_acc": [...]}."""
    return _train_epochs(model, train_iter, loss_fn, optimizer, 1, num_epochs, path, every, {})


def resume_training(model: nn.Module, train_iter, loss_fn, optimizer: torch.optim.Optimizer, path,
                    total_epochs: int, every: int | None = None) -> dict:
    """Load the checkpoint at path and train the remaining epochs up to total_epochs."""
    done, results = load_checkpoint(path, model, optimizer)
    return _train_epochs(model, train_iter, loss_fn, optimizer, done + 1, total_epochs, path, every,
                         results)
