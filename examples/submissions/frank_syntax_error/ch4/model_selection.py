# %% [markdown]
# # Validation sets and early stopping
#
# Every choice we make about a model (how many hidden units, which learning rate, how much
# weight decay, how long to train) is a *hyperparameter*. We pick them by trying several and
# keeping the one that does best on data the model was not trained on. That data cannot be the
# test set: a test set used to take decisions stops being an honest estimate of the error on new
# data, so it is used once, at the very end. Instead we hold out part of the training data as a
# **validation set**. The three sets, training, validation and test, must not overlap.
#
# ## Splitting off a validation set
#
# With the 50 000 training images of CIFAR-10, a common split keeps 45 000 for training and the
# remaining 5 000 for validation. Taking literally the *first* 45 000 is risky: data sets are
# often stored in some order (by class, by date, by source), and the last 5 000 would then not
# look like the rest. So we shuffle the indices 0, ..., n − 1 first and cut the shuffled list in
# two. A random permutation, `torch.randperm(n)`, does exactly that; given a seeded
# `torch.Generator` it gives the same permutation every time, so the split is reproducible.
# The two index tensors can then feed `torch.utils.data.Subset` or a `SubsetRandomSampler`.
#
# ## Early stopping
#
# Training longer first helps, then hurts: at some point the network starts fitting the noise
# of its training set and the validation accuracy stops improving or goes down. Early stopping
# watches the validation score after every epoch. Each time it improves, it remembers the epoch
# and saves the network's weights; when it has not improved for `patience` epochs in a row,
# training stops, and the saved weights (not the last ones) are put back into the model.
#
# An improvement must beat the best score so far by more than `min_delta`; a tie is not an
# improvement. With patience 2 and validation accuracies
#
# ```
# epoch     1     2     3     4     5
# accuracy  0.60  0.70  0.70  0.65  ...
# ```
#
# the best score is 0.70 at epoch 2; epochs 3 (a tie) and 4 do not improve on it, so training
# stops after epoch 4 and the weights of epoch 2 are restored.
#
# ## The pitfall: saving a reference instead of a copy
#
# `model.state_dict()` returns a dictionary whose tensors *are* the model's parameters (they
# share their memory). Keeping `best_state = model.state_dict()` therefore keeps nothing: the
# next optimizer step changes the "saved" tensors too, and at the end the restored "best"
# weights are simply the last ones. `dict(model.state_dict())` has the same problem, since it
# copies the dictionary but not the tensors. Copy the tensors themselves:
# `{name: t.detach().clone() for name, t in model.state_dict().items()}` (or
# `copy.deepcopy(model.state_dict())`).
#
# ## What to write
#
# 1. `train_val_indices(n, val_size, generator=None)`: shuffle `0, ..., n − 1` with
#    `torch.randperm(n, generator=generator)` and return `(train, val)`, two 1-D `torch.long`
#    tensors of sizes `n − val_size` and `val_size` that do not overlap and together contain every
#    index once. Raise `ValueError` unless `1 ≤ val_size ≤ n − 1`. Use the generator when one is
#    given (the same seed gives the same split), the global random state otherwise.
# 2. `EarlyStopping(patience, min_delta=0.0)` with `.step(score, model) -> bool`, called once per
#    epoch with a score where higher is better. A score greater than `best_score + min_delta`
#    (any score at the first call) is an improvement: update `best_score` (the score as given),
#    `best_epoch` (the number of `step` calls so far, counting from 1) and `best_state` (a copy
#    of `model.state_dict()`, not the live tensors), and reset the count of epochs without
#    improvement. Otherwise add one to that count. `step` returns `True` (stop) when the count
#    has reached `patience`, `False` otherwise. Before the first step `best_score`,
#    `best_epoch` and `best_state` are `None`.
# 3. `fit_early_stopping(model, train_iter, val_iter, loss, optimizer, max_epochs, patience)`:
#    for at most `max_epochs` epochs, train one epoch on `train_iter` (training mode; for each
#    minibatch `zero_grad`, `loss(model(X), y).mean().backward()`, `step`), then measure the
#    accuracy on `val_iter` (evaluation mode, no gradients, correct predictions over all the
#    validation examples) and pass it to an `EarlyStopping(patience)`; stop as soon as it says
#    so. Before returning, load the best weights back into `model`. Return
#    `{"best_epoch": int, "best_val_acc": float, "epochs_run": int}`.

# %%
from typing import Iterable

import torch
from torch import nn


# %%
def train_val_indices(n: int, val_size: int, generator: torch.Generator | None = None
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """A random split of 0..n-1 into (train, val) index tensors (torch.long) of sizes n - val_size
    and val_size. Raises ValueError unless 1 <= val_size <= n - 1."""
    ### BEGIN SOLUTION
    # HINT: check the sizes, draw one random permutation, cut it in two
    if not 1 <= val_size <= n - 1:
        raise ValueError(f"val_size must be between 1 and n - 1 = {n - 1}, got {val_size}")
    perm = torch.randperm(n, generator=generator)
    return perm[:n - val_size], perm[n - val_size:]
    ### END SOLUTION


# %%
class EarlyStopping:
    """Remembers the best score, its epoch and a copy of the weights; says when to stop."""

    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        ### BEGIN SOLUTION
        # HINT: store patience and min_delta; best_score, best_epoch, best_state start as None; two counters start at 0
        self.patience = patience
        self.min_delta = min_delta
        self.best_score = None
        self.best_epoch = None
        self.best_state = None
        self.epochs = 0
        self.epochs_without_improvement = 0
        ### END SOLUTION

    def step(self, score: float, model: nn.Module) -> bool:
        """Record this epoch's score; True when training should stop."""
        ### BEGIN SOLUTION
        # HINT: count the epoch; on an improvement save score, epoch and a copy of every tensor of the state dict
        self.epochs += 1
        if self.best_score is None or score > self.best_score + self.min_delta:
            self.best_score = score
            self.best_epoch = self.epochs
            # clone: the state dict's tensors are the live parameters
            self.best_state = {name: t.detach().clone() for name, t in model.state_dict().items()}
            self.epochs_without_improvement = 0
        else:
            self.epochs_without_improvement += 1
        return self.epochs_without_improvement >= self.patience
        ### END SOLUTION


# %%
def fit_early_stopping(model: nn.Module, train_iter: Iterable, val_iter: Iterable, loss: nn.Module,
                       optimizer: torch.optim.Optimizer, max_epochs: int, patience: int) -> dict:
    """Train with early stopping on validation accuracy; the best weights are back in `model` at
    the end. Returns {"best_epoch": int, "best_val_acc": float, "epochs_run": int}."""
    ### BEGIN SOLUTION
    # HINT: an EarlyStopping(patience); each epoch: train, validate (eval + no_grad), step and maybe break; then load best_state
    stopper = EarlyStopping(patience)
    epochs_run = 0
    for _ in range(max_epochs):
        model.train()
        for X, y in train_iter:
            optimizer.zero_grad()
            loss(model(X), y).mean().backward()
            optimizer.step()
        epochs_run += 1
        model.eval()
        correct, total = 0, 0
        with torch.no_grad():
            for X, y in val_iter:
                correct += int((model(X).argmax(dim=1) == y).sum())
                total += int(y.numel())
        if stopper.step(correct / total, model):
            break
    model.load_state_dict(stopper.best_state)
    return {"best_epoch": int(stopper.best_epoch), "best_val_acc": float(stopper.best_score),
            "epochs_run": epochs_run}
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The cell below splits Fashion-MNIST's 60 000 training images into 55 000 for training and
# 5 000 for validation, and trains a small MLP with early stopping (it downloads the data set,
# so run it in Colab or on a machine with internet access).

# %%
if __name__ == "__main__":
    train_idx, val_idx = train_val_indices(10, 3, generator=torch.Generator().manual_seed(0))
    print(train_idx, val_idx)

    import torchvision
    from torch.utils.data import DataLoader, Subset
    from torchvision import transforms

    data = torchvision.datasets.FashionMNIST("data", train=True, download=True, transform=transforms.ToTensor())
    train_idx, val_idx = train_val_indices(len(data), 5000, generator=torch.Generator().manual_seed(0))
    train_iter = DataLoader(Subset(data, train_idx.tolist()), batch_size=256, shuffle=True)
    val_iter = DataLoader(Subset(data, val_idx.tolist()), batch_size=256)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    result = fit_early_stopping(net, train_iter, val_iter, nn.CrossEntropyLoss(),
                                torch.optim.SGD(net.parameters(), lr=0.1), max_epochs=30, patience=3)
    print(result)
