"""Correct: evaluates under torch.inference_mode() and restores no state, keeps metric sums in lists."""

import torch

VERDICT = "correct"


def accuracy(y_hat, y):
    predictions = y_hat.argmax(dim=1)
    return (predictions == y).sum().item() / y.numel()


def evaluate_accuracy(net, data_iter):
    net.eval()
    weighted, sizes = [], []
    with torch.inference_mode():
        for X, y in data_iter:
            weighted.append(accuracy(net(X), y) * y.numel())
            sizes.append(y.numel())
    return sum(weighted) / sum(sizes)


def train_epoch(net, train_iter, loss, updater):
    net.train()
    losses, rights, sizes = [], [], []
    for X, y in train_iter:
        updater.zero_grad()
        y_hat = net(X)
        per_example = loss(y_hat, y)
        per_example.mean().backward()
        updater.step()
        sizes.append(len(y))
        losses.append(per_example.detach().mean().item() * len(y))
        rights.append(accuracy(y_hat.detach(), y) * len(y))
    n = sum(sizes)
    return sum(losses) / n, sum(rights) / n


def train(net, train_iter, test_iter, loss, num_epochs, updater):
    history = []
    for epoch in range(1, num_epochs + 1):
        train_loss, train_acc = train_epoch(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        history.append({"epoch": epoch, "train_loss": train_loss,
                        "train_acc": train_acc, "test_acc": test_acc})
    return history
