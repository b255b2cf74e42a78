"""Wrong: examples_per_sec is computed upside down, seconds per example (train_seconds / train_examples)."""

import time
from typing import Iterable

import torch
from torch import nn

VERDICT = "wrong"
LOSES_ONLY = ["test_train_ch6_throughput"]

def evaluate_accuracy_gpu(net: nn.Module, data_iter: Iterable,
                          device: torch.device | str | None = None) -> float:
    """Accuracy of net over data_iter on `device` (default: where net's parameters are)."""
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


def train_ch6(net: nn.Module, train_iter: Iterable, test_iter: Iterable, num_epochs: int,
              lr: float, device: torch.device | str) -> dict[str, float]:
    """Train net on `device` with Xavier init, SGD and cross-entropy; report the last epoch."""
    def init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(module.weight)

    net.apply(init_weights)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    train_seconds, train_examples = 0.0, 0
    for _ in range(num_epochs):
        net.train()
        loss_sum, correct, seen = 0.0, 0, 0
        start = time.perf_counter()
        for X, y in train_iter:
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
        train_seconds += time.perf_counter() - start
        train_examples += seen
        test_acc = evaluate_accuracy_gpu(net, test_iter, device)
    return {"train_loss": loss_sum / seen, "train_acc": correct / seen, "test_acc": test_acc,
            "examples_per_sec": train_seconds / train_examples}
