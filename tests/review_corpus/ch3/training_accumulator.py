# source: github.com/d2l-ai/d2l-en d2l/torch.py lines 218-262 (rewritten for ch3.training)
# exercise: ch3.training
import torch
from torch import nn


class Accumulator:
    """For accumulating sums over `n` variables."""
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


def accuracy(y_hat, y):
    """The number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy(net, data_iter):
    if isinstance(net, torch.nn.Module):
        net.eval()
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_epoch(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


def train(net, train_iter, test_iter, loss, num_epochs, updater):
    for epoch in range(num_epochs):
        train_metrics = train_epoch(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        print(f"epoch {epoch + 1}: {train_metrics}, {test_acc:.3f}")
    return train_metrics + (test_acc,)


if __name__ == "__main__":
    import torchvision
    from torchvision import transforms
    mnist_train = torchvision.datasets.FashionMNIST(root="../data", train=True,
                                                    transform=transforms.ToTensor(), download=True)
    loader = torch.utils.data.DataLoader(mnist_train, 256, shuffle=True, num_workers=4)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    print(train(net, loader, loader, nn.CrossEntropyLoss(reduction='none'), 3,
                torch.optim.SGD(net.parameters(), lr=0.1)))
