"""Wrong: averages the per-batch means, so a partial last batch counts as much as a full one."""

import torch

VERDICT = "wrong"


def accuracy(y_hat, y):
    predictions = y_hat.argmax(dim=1)
    return (predictions == y).sum().item() / y.numel()


def evaluate_accuracy(net, data_iter):
    net.eval()
    accs = []
    with torch.no_grad():
        for X, y in data_iter:
            accs.append(accuracy(net(X), y))
    return sum(accs) / len(accs)


def train_epoch(net, train_iter, loss, updater):
    net.train()
    losses, accs = [], []
    for X, y in train_iter:
        y_hat = net(X)
        batch_loss = loss(y_hat, y).mean()
        updater.zero_grad()
        batch_loss.backward()
        updater.step()
        losses.append(float(batch_loss.detach()))
        accs.append(accuracy(y_hat, y))
    return sum(losses) / len(losses), sum(accs) / len(accs)


def train(net, train_iter, test_iter, loss, num_epochs, updater):
    history = []
    for epoch in range(1, num_epochs + 1):
        train_loss, train_acc = train_epoch(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        history.append({"epoch": epoch, "train_loss": train_loss,
                        "train_acc": train_acc, "test_acc": test_acc})
    return history
