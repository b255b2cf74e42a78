"""Correct: counts right predictions, branches on the loss's reduction, clears gradients after each step via net.zero_grad()."""

import torch

VERDICT = "correct"


def accuracy(y_hat, y):
    return float(torch.eq(y_hat.argmax(1), y).float().mean())


def evaluate_accuracy(net, data_iter):
    net.eval()
    right = total = 0
    with torch.no_grad():
        for X, y in data_iter:
            right += int((net(X).argmax(dim=1) == y).sum())
            total += y.shape[0]
    return right / total


def train_epoch(net, train_iter, loss, updater):
    net.train()
    totals = torch.zeros(3, dtype=torch.float64)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if l.dim() == 0:
            l.backward()
            batch_sum = l.item() * y.shape[0]
        else:
            (l.sum() / l.numel()).backward()
            batch_sum = l.sum().item()
        updater.step()
        net.zero_grad()
        totals += torch.tensor([batch_sum, float((y_hat.argmax(1) == y).sum()), y.shape[0]],
                               dtype=torch.float64)
    return float(totals[0] / totals[2]), float(totals[1] / totals[2])


def train(net, train_iter, test_iter, loss, num_epochs, updater):
    history = []
    for epoch, _ in enumerate(range(num_epochs), start=1):
        net.train()
        train_loss, train_acc = train_epoch(net, train_iter, loss, updater)
        history.append(dict(epoch=epoch, train_loss=train_loss, train_acc=train_acc,
                            test_acc=evaluate_accuracy(net, test_iter)))
    return history
