"""Correct: the book's progress guard (i + 1) % (num_batches // 5) == 0 records five points per epoch."""
VERDICT = "correct"
# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Training a CNN on the GPU
#
# Convolutional networks cost far more arithmetic per example than the softmax regression of
# chapter 3: every kernel is applied at every position of every channel. On a CPU, ten epochs of
# a small LeNet-style network on Fashion-MNIST take minutes; on a GPU they take seconds. The
# training loop itself barely changes. What changes is *where* things live: the network's
# parameters and every minibatch must sit on the same device before they meet. In this
# exercise you adapt the loop of chapter 3 so that it takes a `device` and puts everything on
# it, and you give the network a sensible starting point.
#
# ## Moving data and model
#
# `net.to(device)` moves every parameter and buffer of a module in place (and returns the
# module). A tensor is different: `X.to(device)` returns a *new* tensor and leaves `X` where it
# was, so the result must be kept, `X = X.to(device)`. A data loader produces its batches on
# the CPU, so each batch `X, y` is moved right after it is drawn, in training and in
# evaluation alike. If the network is on `cuda:0` and a batch is still on the CPU, the first
# layer fails with an error about tensors on different devices. (On a machine without a GPU
# both are the CPU, and forgetting the move goes unnoticed, which is why the grader also runs
# on a GPU.)
#
# ## Evaluating on the right device
#
# `evaluate_accuracy_gpu(net, data_iter, device=None)` works like chapter 3's
# `evaluate_accuracy`: evaluation mode (`net.eval()`), no gradients (`torch.no_grad()`), the
# number of correct predictions over all examples divided by the number of examples, so that a
# small last batch counts by its size. When no device is given, it uses the device the network
# already lives on, `next(net.parameters()).device`; either way, every batch is moved there
# before the forward pass.
#
# ## Xavier initialisation
#
# With PyTorch's default initialisation the scale of a layer's weights depends on its fan-in
# only. Xavier (Glorot) initialisation balances the signal in both directions: for a layer with
# $n_{in}$ inputs and $n_{out}$ outputs it draws the weights uniformly from $[-a, a]$ with
#
# $$ a = \sqrt{\frac{6}{n_{in} + n_{out}}}, $$
#
# which keeps the variance of the activations going forward and of the gradients going backward
# roughly constant. For a convolution, $n_{in}$ is input channels × kernel area and $n_{out}$ is
# output channels × kernel area. `nn.init.xavier_uniform_(m.weight)` does it in place;
# `net.apply(fn)` calls `fn` on every submodule, so a small function that picks out the
# layers with weights does the whole network.
#
# ## One epoch, and the bookkeeping
#
# Per batch, as before: move it, forward, loss, `zero_grad`, backward, `step`. The loss here is
# `nn.CrossEntropyLoss()` with its default mean over the batch, so the summed loss of a batch
# is that mean times the batch size; the epoch's loss per example is the sum of those over the
# sum of the batch sizes. (Averaging the batch means instead would count a short last batch as
# much as a full one.) The epoch's training accuracy is measured, like the loss, on the
# predictions of the forward pass that produced it. After every epoch the test accuracy is
# measured with `evaluate_accuracy_gpu`, which leaves the network in evaluation mode, so each
# epoch must begin with `net.train()`.
#
# To see what the device buys, we also report the **throughput**: training examples processed
# per second of training (evaluation time not counted). CUDA work is asynchronous, so a timer
# around code that only *queues* GPU work measures too little. Reading the loss of each batch
# back as a Python number waits for that batch to finish, which keeps the measurement honest.
# (The first epoch on a GPU also pays one-off start-up costs, so the rate grows with the number
# of epochs; for a fair comparison between devices, train for a few.)
#
# ## What to write
#
# * `evaluate_accuracy_gpu(net, data_iter, device=None)` — as described above: `device=None`
#   means the device of `net`'s parameters; eval mode, no gradients, every batch moved to the
#   device; returns the accuracy over all examples as a Python `float`. Does not move `net`.
# * `train_ch6(net, train_iter, test_iter, num_epochs, lr, device)` — in this order:
#   1. initialise the **weight** of every module that is an `nn.Linear` or an `nn.Conv2d` with
#      `nn.init.xavier_uniform_` (biases and other layers stay as they are), using
#      `net.apply`, while the network is still where it was given to you (checks seed the
#      random generator and expect the same initial weights as ours);
#   2. `net.to(device)`; an optimiser `torch.optim.SGD(net.parameters(), lr=lr)` and the loss
#      `nn.CrossEntropyLoss()` (mean over the batch);
#   3. for each of the `num_epochs` (at least 1) epochs: `net.train()`, one pass over
#      `train_iter` with every batch moved to `device` and the steps above, then
#      `evaluate_accuracy_gpu(net, test_iter, device)`.
#
#   Return a dict of four Python floats: `"train_loss"` (loss per example over the **last**
#   epoch), `"train_acc"` (accuracy over the last epoch), `"test_acc"` (after the last epoch)
#   and `"examples_per_sec"` (training examples of all epochs divided by the seconds spent in
#   the training passes, measured with `time.perf_counter()`).

# %%
import time
from typing import Iterable

import torch
from torch import nn


# %%
def evaluate_accuracy_gpu(net: nn.Module, data_iter: Iterable,
                          device: torch.device | str | None = None) -> float:
    """Accuracy of net over data_iter on `device` (default: where net's parameters are)."""
    ### BEGIN SOLUTION
    # HINT: device = next(net.parameters()).device if None; net.eval(); no_grad; move X, y; count
    if device is None:
        device = next(net.parameters()).device
    net.eval()
    correct, seen = 0, 0
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            correct += int((net(X).argmax(dim=1) == y).sum())
            seen += y.numel()
    return correct / seen
    ### END SOLUTION


# %%
def train_ch6(net: nn.Module, train_iter: Iterable, test_iter: Iterable, num_epochs: int,
              lr: float, device: torch.device | str) -> dict[str, float]:
    """Train net on `device` with Xavier init, SGD and cross-entropy; report the last epoch."""
    ### BEGIN SOLUTION
    # HINT: net.apply(xavier on Linear/Conv2d weights); net.to(device); SGD; per epoch: net.train(), batches moved to device, then evaluate
    def init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(module.weight)

    net.apply(init_weights)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    train_seconds, train_examples = 0.0, 0
    for epoch_index in range(num_epochs):
        net.train()
        loss_sum, correct, seen = 0.0, 0, 0
        start = time.perf_counter()
        num_batches = len(train_iter)
        progress = []
        for i, (X, y) in enumerate(train_iter):
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            batch_loss = loss(y_hat, y)
            optimizer.zero_grad()
            batch_loss.backward()
            optimizer.step()
            # float() waits for the GPU, so the timer below sees finished work.
            loss_sum += float(batch_loss.detach()) * y.numel()
            correct += int((y_hat.argmax(dim=1) == y).sum())
            seen += y.numel()
            # the book's progress guard: five points per epoch, divides by zero below 5 batches
            if (i + 1) % (num_batches // 5) == 0 or i == num_batches - 1:
                progress.append((epoch_index, loss_sum / seen, correct / seen))
        train_seconds += time.perf_counter() - start
        train_examples += seen
        test_acc = evaluate_accuracy_gpu(net, test_iter, device)
    return {"train_loss": loss_sum / seen, "train_acc": correct / seen, "test_acc": test_acc,
            "examples_per_sec": train_examples / train_seconds}
    ### END SOLUTION


# %% [markdown]
# ## Try it: LeNet on Fashion-MNIST
#
# LeNet-5 with sigmoid activations, batches of 256, learning rate 0.9 and ten epochs reaches a
# test accuracy around 0.8. On a GPU the throughput is tens of thousands of examples per
# second; compare it with `device=torch.device("cpu")`. The cell downloads Fashion-MNIST, so it
# runs only as a script or in Colab.

# %%
if __name__ == "__main__":
    import torchvision
    from torch.utils.data import DataLoader
    from torchvision import transforms

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    to_tensor = transforms.ToTensor()
    train_set = torchvision.datasets.FashionMNIST(root="../data", train=True, transform=to_tensor,
                                                  download=True)
    test_set = torchvision.datasets.FashionMNIST(root="../data", train=False, transform=to_tensor,
                                                 download=True)
    train_iter = DataLoader(train_set, batch_size=256, shuffle=True)
    test_iter = DataLoader(test_set, batch_size=256)
    lenet = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))
    result = train_ch6(lenet, train_iter, test_iter, num_epochs=10, lr=0.9, device=device)
    print(f"loss {result['train_loss']:.3f}, train acc {result['train_acc']:.3f}, "
          f"test acc {result['test_acc']:.3f}")
    print(f"{result['examples_per_sec']:.1f} examples/sec on {device}")
