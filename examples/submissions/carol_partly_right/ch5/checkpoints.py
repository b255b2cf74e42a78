# %% [markdown]
# # Checkpoints: saving, loading and resuming training
#
# Training a real network takes hours or weeks, and a lot can happen in that time: the machine
# reboots, the session on Colab times out, the job runs out of its time slot. A *checkpoint* is a
# snapshot of everything needed to continue where training stopped, written to disk after every
# epoch. When something goes wrong we lose at most one epoch of work instead of all of it.
#
# ## What a checkpoint holds
#
# The weights alone are not enough. An optimizer such as SGD with momentum keeps its own state:
# for every parameter a *momentum buffer*, the running average of past gradients that the next
# step adds to the update. A run that restarts with the right weights but empty buffers takes
# different steps than the run that was interrupted, so it ends somewhere else. We therefore save
# a dictionary with four entries:
#
# ```python
# {"epoch": 3,                                        # epochs completed so far
#  "model_state_dict": model.state_dict(),            # the parameters (and buffers)
#  "optimizer_state_dict": optimizer.state_dict(),    # momentum buffers, learning rate, ...
#  "results": {"train_loss": [...], "train_acc": [...]}}   # the history so far
# ```
#
# `torch.save(checkpoint, path)` writes it and `torch.load(path)` reads it back. Restoring goes
# the other way: build the model and the optimizer as before (same layers, same sizes), then
# `model.load_state_dict(checkpoint["model_state_dict"])` and
# `optimizer.load_state_dict(checkpoint["optimizer_state_dict"])`.
#
# ## Loading safely, and on the right device
#
# `torch.save` uses Python's pickle, and unpickling can run arbitrary code. A checkpoint from
# somewhere else should therefore be loaded with `torch.load(path, weights_only=True)`, which only
# accepts tensors and plain Python data (numbers, strings, lists, tuples, dicts) and refuses
# everything else with a `pickle.UnpicklingError`. (Recent PyTorch versions make this the default.)
# This puts a demand on what we save: the results must be plain Python numbers. A classic
# mistake stores `np.float64` values (what `numpy` and scikit-learn's metrics return): saving
# works, but the checkpoint then no longer loads with `weights_only=True`. Convert with `float(x)`
# or `tensor.item()` before storing.
#
# A checkpoint also remembers the device of every tensor. One written on a GPU cannot be loaded
# on a machine without one, unless `torch.load(path, map_location="cpu")` moves the tensors while
# loading. `map_location` can name any device, so the same file serves both machines.
#
# ## Resuming
#
# With a checkpoint after every epoch, resuming means: load the model and the optimizer, read the
# number of completed epochs, and run only the remaining ones. If the file says 20 epochs were
# done and we ask for 30 in total, exactly 10 more are run. Epochs are counted from 1 here: the
# checkpoint written after the first epoch says `"epoch": 1`. When the data comes in the same
# order every epoch (no shuffling) and nothing else is random, a run interrupted after epoch 3 and
# resumed to epoch 5 ends with *exactly* the same weights as a run of 5 epochs in one go. That is a
# strong test of a checkpoint: leave out the optimizer state and the two runs part ways.
#
# Overwriting one file every epoch keeps only the latest state. To be able to go back to an
# earlier one without filling the disk, keep an extra copy every `every` epochs, named after the
# epoch: with `path = "runs/model.pt"` and `every=2`, also `runs/model_epoch2.pt`,
# `runs/model_epoch4.pt`, ... (`pathlib.Path(path).with_name(f"{stem}_epoch{k}{suffix}")`).
#
# ## What to write
#
# 1. `save_checkpoint(path, model, optimizer, epoch, results)`: save a dictionary with exactly the
#    keys `epoch`, `model_state_dict`, `optimizer_state_dict` and `results` to `path`.
# 2. `load_checkpoint(path, model, optimizer=None, map_location="cpu") -> (epoch, results)`: load
#    with `torch.load(path, map_location=map_location, weights_only=True)`, restore the model (and
#    the optimizer when one is given), return the saved epoch and results. A file holding
#    anything but tensors and plain data must raise (`pickle.UnpicklingError`, as `torch.load`
#    does with `weights_only=True`).
# 3. `train_with_checkpoints(model, train_iter, loss_fn, optimizer, num_epochs, path, every=None)
#    -> results`: train for `num_epochs` epochs (training mode; per batch: zero the gradients,
#    `loss_fn(model(X), y)` which returns the batch's mean loss, backward, step). After each epoch
#    k (1, 2, ...) append the epoch's average loss per example to `results["train_loss"]` and its
#    share of correct predictions (argmax of the outputs) to `results["train_acc"]`, both as plain
#    Python floats, then save a checkpoint with epoch k to `path`, and, when `every` is given and
#    k is a multiple of it, also to `<stem>_epoch<k><suffix>` next to it. Returns the results
#    dictionary.
# 4. `resume_training(model, train_iter, loss_fn, optimizer, path, total_epochs, every=None)
#    -> results`: load the checkpoint at `path` into the model and the optimizer, run the epochs
#    after the saved one up to `total_epochs` exactly as `train_with_checkpoints` does (appending
#    to the loaded results, saving after each epoch, extra copies every `every` epochs), and
#    return the results. Nothing is run when the checkpoint already has `total_epochs` or more.

# %%
from pathlib import Path

import torch
from torch import nn


# %%
def save_checkpoint(path, model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int,
                    results: dict) -> None:
    """Save {"epoch", "model_state_dict", "optimizer_state_dict", "results"} to path."""
    ### BEGIN SOLUTION
    # HINT: torch.save a dictionary with exactly these four keys; the states come from state_dict()
    torch.save({"epoch": epoch,
                "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(),
                "results": results}, path)
    ### END SOLUTION


# %%
def load_checkpoint(path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    map_location="cpu") -> tuple[int, dict]:
    """Restore model (and optimizer) from the checkpoint at path; return (epoch, results)."""
    ### BEGIN SOLUTION
    # HINT: torch.load with map_location and weights_only=True, then load_state_dict on the model and the optimizer
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    model.load_state_dict(checkpoint["model_state_dict"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return checkpoint["epoch"], checkpoint["results"]
    ### END SOLUTION


# %%
def _epoch_path(path, epoch: int) -> Path:
    """runs/model.pt, 4 -> runs/model_epoch4.pt"""
    path = Path(path)
    return path.with_name(f"{path.stem}_epoch{epoch}{path.suffix}")


def _train_epochs(model, train_iter, loss_fn, optimizer, first: int, last: int, path, every,
                  results: dict) -> dict:
    """Run epochs first..last (1-based), saving a checkpoint after each; shared by both functions."""
    ### BEGIN SOLUTION
    # HINT: for each epoch: train over the loader, append the epoch's loss and accuracy as floats, save
    results.setdefault("train_loss", [])
    results.setdefault("train_acc", [])
    for epoch in range(first, last + 1):
        model.train()
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
    ### END SOLUTION


def train_with_checkpoints(model: nn.Module, train_iter, loss_fn, optimizer: torch.optim.Optimizer,
                           num_epochs: int, path, every: int | None = None) -> dict:
    """Train num_epochs epochs, checkpointing to path after each (and every `every` epochs to
    <stem>_epoch<k><suffix>); return {"train_loss": [...], "train_acc": [...]}."""
    ### BEGIN SOLUTION
    # HINT: one loop over the epochs 1..num_epochs; a helper shared with resume_training helps
    return _train_epochs(model, train_iter, loss_fn, optimizer, 1, num_epochs, path, every, {})
    ### END SOLUTION


def resume_training(model: nn.Module, train_iter, loss_fn, optimizer: torch.optim.Optimizer, path,
                    total_epochs: int, every: int | None = None) -> dict:
    """Load the checkpoint at path and train the remaining epochs up to total_epochs."""
    ### BEGIN SOLUTION
    # HINT: load_checkpoint with the optimizer too, then run epochs done + 1 .. total_epochs
    done, results = load_checkpoint(path, model, optimizer)
    return _train_epochs(model, train_iter, loss_fn, optimizer, done + 1, total_epochs, path, every,
                         results)
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# Train a small network on synthetic data for 5 epochs in one go, then for 3 epochs, "crash",
# and resume to 5 with brand-new model and optimizer objects: the weights agree exactly.

# %%
if __name__ == "__main__":
    import tempfile
    from torch.utils.data import DataLoader, TensorDataset

    gen = torch.Generator().manual_seed(0)
    X = torch.randn(200, 10, generator=gen)
    y = (X[:, 0] + X[:, 1] > 0).long()
    loader = DataLoader(TensorDataset(X, y), batch_size=20)   # no shuffling

    def fresh():
        torch.manual_seed(1)
        net = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 2))
        return net, torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

    with tempfile.TemporaryDirectory() as folder:
        net, opt = fresh()
        full = train_with_checkpoints(net, loader, nn.CrossEntropyLoss(), opt, 5, f"{folder}/a.pt", every=2)
        print(sorted(p.name for p in Path(folder).iterdir()))   # a.pt, a_epoch2.pt, a_epoch4.pt
        net2, opt2 = fresh()
        train_with_checkpoints(net2, loader, nn.CrossEntropyLoss(), opt2, 3, f"{folder}/b.pt")
        net3, opt3 = fresh()   # the "crash": new objects, only the file survives
        resumed = resume_training(net3, loader, nn.CrossEntropyLoss(), opt3, f"{folder}/b.pt", 5)
        print(full["train_loss"] == resumed["train_loss"],
              all(torch.equal(a, b) for a, b in zip(net.parameters(), net3.parameters())))
