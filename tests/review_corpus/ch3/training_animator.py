# source: github.com/d2l-ai/d2l-en d2l/torch.py lines 264-306 (rewritten for ch3.training)
# exercise: ch3.training
from IPython import display
from matplotlib import pyplot as plt
import torch


def use_svg_display():
    display.set_matplotlib_formats('svg')


class Animator:
    """Plots data while a model trains."""
    def __init__(self, xlabel=None, legend=None, xlim=None, figsize=(3.5, 2.5)):
        self.legend = legend or []
        self.fig, self.axes = plt.subplots(1, 1, figsize=figsize)
        self.xlabel, self.xlim = xlabel, xlim
        self.X, self.Y = None, None

    def add(self, x, y):
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(b)
        self.axes.cla()
        for xs, ys in zip(self.X, self.Y):
            self.axes.plot(xs, ys)
        self.axes.set_xlabel(self.xlabel)
        self.axes.legend(self.legend)
        display.display(self.fig)
        display.clear_output(wait=True)


def accuracy(y_hat, y):
    return float((y_hat.argmax(dim=1) == y).sum())


def evaluate_accuracy(net, data_iter):
    net.eval()
    right = total = 0
    with torch.no_grad():
        for X, y in data_iter:
            right += accuracy(net(X), y)
            total += len(y)
    return right / total


def train_epoch(net, train_iter, loss, updater):
    net.train()
    total_loss = right = n = 0.0
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        updater.zero_grad()
        l.mean().backward()
        updater.step()
        total_loss += float(l.sum()) if l.dim() else float(l) * len(y)
        right += accuracy(y_hat, y)
        n += len(y)
    return total_loss / n, right / n


def train(net, train_iter, test_iter, loss, num_epochs, updater):
    animator = Animator(xlabel='epoch', xlim=[1, num_epochs], legend=['train loss', 'train acc', 'test acc'])
    for epoch in range(num_epochs):
        train_metrics = train_epoch(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        animator.add(epoch + 1, train_metrics + (test_acc,))
    return train_metrics + (test_acc,)
