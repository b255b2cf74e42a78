# source: github.com/Kidr1cE/kaggle-CIFAR-10 train.py lines 1-25 (rewritten for ch6.training_gpu)
# exercise: ch6.training_gpu
import torch
from torch import nn


def evaluate_accuracy_gpu(net, data_iter, device=None):
    net.eval()
    if device is None:
        device = next(net.parameters()).device
    correct, total = 0, 0
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            correct += (net(X).argmax(dim=1) == y).sum().item()
            total += y.numel()
    return correct / total


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device):
    def init_weights(m):
        if type(m) == nn.Linear or type(m) == nn.Conv2d:
            nn.init.xavier_uniform_(m.weight)
    net.apply(init_weights)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    for epoch in range(num_epochs):
        net.train()
        total_loss, total_correct, n = 0.0, 0, 0
        for i, (X, y) in enumerate(train_iter):
            optimizer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            total_loss += l.item() * y.shape[0]
            total_correct += (y_hat.argmax(1) == y).sum().item()
            n += y.shape[0]
        test_acc = evaluate_accuracy_gpu(net, test_iter, device)
    return {"train_loss": total_loss / n, "train_acc": total_correct / n, "test_acc": test_acc}
