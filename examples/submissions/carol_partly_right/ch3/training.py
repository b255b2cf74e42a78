# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # The training loop
#
# Every model in this course is trained by the same few lines, repeated: take a minibatch,
# run the network forward, measure the loss, clear the old gradients, backpropagate, let the
# optimizer take a step. One pass over the whole training set is an **epoch**. After each
# epoch we ask how well the model does on data it has never trained on. In this exercise you
# write that loop once, carefully, so that later chapters can reuse it.
#
# ## Accuracy
#
# The loss is what we optimise, because it is differentiable; the number people care about is
# the **accuracy**, the fraction of examples whose predicted class is the true one. The
# predicted class of an example is the index of the largest entry of its row of `y_hat`
# (logits or probabilities give the same answer, since softmax keeps the order). For
#
# ```
# y_hat = [[0.1, 0.3, 0.6],      y = [2, 1]
#          [0.3, 0.2, 0.5]]
# ```
#
# the predictions are classes 2 and 2, the first is right and the second wrong: accuracy 0.5.
#
# ## Evaluation mode, and no gradients
#
# Some layers behave differently while training: dropout zeroes random units during training
# and does nothing at test time. `net.eval()` switches every such layer to its test-time
# behaviour and `net.train()` switches it back. Evaluation also needs no gradients, so it runs
# inside `with torch.no_grad():`, which saves the memory and time of recording the graph.
#
# The data come in minibatches, and the last one is often smaller (60 000 images in batches of
# 256 leave a last batch of 96). The accuracy over the data set is the number of correct
# predictions divided by the number of examples. Averaging the per-batch accuracies instead
# would give that last small batch as much say as a full one, and would be wrong; weight every
# batch by its size.
#
# ## One epoch of training
#
# For every minibatch `X, y` of `train_iter`:
#
# 1. `y_hat = net(X)` and `l = loss(y_hat, y)`;
# 2. `updater.zero_grad()`: PyTorch *adds* new gradients to the old ones, so they must be
#    cleared before each backward pass;
# 3. backpropagate the **mean** loss over the batch and call `updater.step()`.
#
# The loss may have been created with `reduction='mean'` (one number, already the batch mean)
# or `reduction='none'` (one number per example). `l.mean()` covers both cases: it is the same
# scalar for the first and the batch mean for the second. Backpropagating the mean keeps the
# step size independent of the batch size.
#
# While looping, keep three running totals: the summed loss (batch mean × batch size), the
# number of correct predictions (batch accuracy × batch size, measured on the same `y_hat` as
# the loss) and the number of examples. The epoch's loss per example and accuracy are the
# first two divided by the third: again the partial last batch counts with its real size.
#
# ## Several epochs
#
# `train` alternates one epoch of training with an evaluation on `test_iter`. Because
# `evaluate_accuracy` leaves the network in evaluation mode, `train_epoch` must put it back in
# training mode (`net.train()`) at its start, in every epoch; otherwise dropout would be
# silently switched off from the second epoch on.
#
# ## What to write
#
# * `accuracy(y_hat, y)` — `y_hat` is `(n, q)`, `y` holds `n` class indices; return the
#   fraction of rows whose argmax equals the label, as a Python `float`.
# * `evaluate_accuracy(net, data_iter)` — put `net` in evaluation mode, iterate over
#   `data_iter` (pairs `X, y`) once without gradients, and return the accuracy over all the
#   examples (weighted by batch size) as a Python `float`. Leave the network in evaluation mode.
# * `train_epoch(net, train_iter, loss, updater)` — put `net` in training mode, make one pass
#   over `train_iter` as described above (`updater` is a `torch.optim.Optimizer` over the
#   network's parameters), and return the tuple `(loss per example, accuracy)` of two Python
#   floats. It must work with `reduction='mean'` and `reduction='none'` losses.
# * `train(net, train_iter, test_iter, loss, num_epochs, updater)` — run `num_epochs` epochs;
#   each is one `train_epoch` followed by one `evaluate_accuracy(net, test_iter)`. Return a
#   list with one dict per epoch, in order:
#   `{"epoch": e, "train_loss": ..., "train_acc": ..., "test_acc": ...}`, where `e` counts
#   from **1** and the three numbers are Python floats.

# %%
from typing import Iterable

import torch
from torch import nn


# %%
def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows of y_hat whose largest entry sits at the label in y."""
    ### BEGIN SOLUTION
    # HINT: compare y_hat.argmax(dim=1) with y, then turn the mean of the matches into a float
    predictions = y_hat.argmax(dim=1)
    return (predictions == y).sum().item() / y.numel()
    ### END SOLUTION


# %%
def evaluate_accuracy(net: nn.Module, data_iter: Iterable) -> float:
    """Accuracy of net over every example of data_iter, in eval mode and without gradients."""
    ### BEGIN SOLUTION
    # HINT: net.eval(); inside torch.no_grad() add up accuracy * batch size and the batch sizes
    net.eval()
    correct, seen = 0.0, 0
    with torch.no_grad():
        for X, y in data_iter:
            correct += accuracy(net(X), y) * len(y)
            seen += len(y)
    return correct / seen
    ### END SOLUTION


# %%
def train_epoch(net: nn.Module, train_iter: Iterable, loss: nn.Module,
                updater: torch.optim.Optimizer) -> tuple[float, float]:
    """One pass over train_iter; returns (loss per example, accuracy) of this epoch."""
    ### BEGIN SOLUTION
    # HINT: net.train(); per batch: forward, loss, zero_grad, backward of the mean, step; keep totals
    net.train()
    loss_sum, correct, seen = 0.0, 0.0, 0
    for X, y in train_iter:
        y_hat = net(X)
        # reduction='none' gives one loss per example, 'mean' a scalar: .mean() suits both.
        batch_loss = loss(y_hat, y).mean()
        updater.zero_grad()
        batch_loss.backward()
        updater.step()
        loss_sum += float(batch_loss.detach()) * len(y)
        correct += accuracy(y_hat, y) * len(y)
        seen += len(y)
    return loss_sum / seen, correct / seen
    ### END SOLUTION


# %%
def train(net: nn.Module, train_iter: Iterable, test_iter: Iterable, loss: nn.Module,
          num_epochs: int, updater: torch.optim.Optimizer) -> list[dict]:
    """Train for num_epochs epochs; one dict of metrics per epoch, epochs counted from 1."""
    ### BEGIN SOLUTION
    # HINT: loop epoch = 1..num_epochs: train_epoch, then evaluate_accuracy on test_iter, record a dict
    history = []
    for epoch in range(1, num_epochs + 1):
        train_loss, train_acc = train_epoch(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        history.append({"epoch": epoch, "train_loss": train_loss,
                        "train_acc": train_acc, "test_acc": test_acc})
    return history
    ### END SOLUTION


# %% [markdown]
# ## Try it on Fashion-MNIST
#
# Softmax regression on Fashion-MNIST (28×28 grey images of 10 kinds of clothing) with
# minibatches of 256 and SGD at learning rate 0.1 reaches roughly 80 % test accuracy within
# ten epochs. The cell downloads the data set, so it only runs when the file is executed as a
# script or in Colab, never when the grader imports it.

# %%
if __name__ == "__main__":
    import torchvision
    from torch.utils.data import DataLoader
    from torchvision import transforms

    to_tensor = transforms.ToTensor()
    mnist_train = torchvision.datasets.FashionMNIST(root="../data", train=True,
                                                    transform=to_tensor, download=True)
    mnist_test = torchvision.datasets.FashionMNIST(root="../data", train=False,
                                                   transform=to_tensor, download=True)
    train_iter = DataLoader(mnist_train, batch_size=256, shuffle=True)
    test_iter = DataLoader(mnist_test, batch_size=256)

    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    nn.init.normal_(net[1].weight, std=0.01)
    nn.init.zeros_(net[1].bias)
    loss = nn.CrossEntropyLoss(reduction="none")
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    for row in train(net, train_iter, test_iter, loss, 10, updater):
        print(f"epoch {row['epoch']:2d}  loss {row['train_loss']:.3f}  "
              f"train acc {row['train_acc']:.3f}  test acc {row['test_acc']:.3f}")
