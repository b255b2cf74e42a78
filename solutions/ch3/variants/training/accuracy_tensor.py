"""Wrong: accuracy comes back as a tensor, not a Python float (and so do the metrics built from it: the slip is charged once, by the accuracy check)."""

import torch

VERDICT = "wrong"
LOSES_ONLY = ["test_accuracy_known_values"]   # one slip, one check: the clause table says which


def accuracy(y_hat, y):
    return (y_hat.argmax(dim=1) == y).float().mean()


def evaluate_accuracy(net, data_iter):
    net.eval()
    correct, seen = 0.0, 0
    with torch.no_grad():
        for X, y in data_iter:
            correct = correct + accuracy(net(X), y) * len(y)
            seen += len(y)
    return correct / seen


def train_epoch(net, train_iter, loss, updater):
    net.train()
    loss_sum, correct, seen = 0.0, 0.0, 0
    for X, y in train_iter:
        y_hat = net(X)
        batch_loss = loss(y_hat, y).mean()
        updater.zero_grad()
        batch_loss.backward()
        updater.step()
        loss_sum += float(batch_loss.detach()) * len(y)
        correct += accuracy(y_hat, y) * len(y)
        seen += len(y)
    return loss_sum / seen, correct / seen


def train(net, train_iter, test_iter, loss, num_epochs, updater):
    history = []
    for epoch in range(1, num_epochs + 1):
        train_loss, train_acc = train_epoch(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        history.append({"epoch": epoch, "train_loss": train_loss,
                        "train_acc": train_acc, "test_acc": test_acc})
    return history
