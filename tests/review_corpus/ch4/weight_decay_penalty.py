# source: github.com/guangmingtudou/learning-machine-learning d2l/weight_decay.py lines 1-44 (rewritten for ch4.weight_decay)
# exercise: ch4.weight_decay
import torch
from torch import nn


def l2_penalty(w):
    return torch.sum(w.pow(2)) / 2


def init_params(num_inputs):
    w = torch.normal(0, 1, size=(num_inputs, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    return [w, b]


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def train_weight_decay(X, y, lam, mode="penalty", lr=0.003, num_epochs=100, batch_size=5):
    if mode == "penalty":
        w, b = init_params(X.shape[1])
        for epoch in range(num_epochs):
            for i in range(0, len(X), batch_size):
                Xb, yb = X[i:i + batch_size], y[i:i + batch_size]
                l = squared_loss(Xb @ w + b, yb) + lam * l2_penalty(w)
                l.sum().backward()
                with torch.no_grad():
                    for param in (w, b):
                        param -= lr * param.grad / len(Xb)
                        param.grad.zero_()
        print('w的L2范数是:', torch.norm(w).item())
        return w.detach(), b.detach()
    net = nn.Sequential(nn.Linear(X.shape[1], 1))
    for param in net.parameters():
        param.data.normal_()
    trainer = torch.optim.SGD([{"params": net[0].weight, "weight_decay": lam},
                               {"params": net[0].bias}], lr=lr)
    loss = nn.MSELoss(reduction='none')
    for epoch in range(num_epochs):
        for i in range(0, len(X), batch_size):
            trainer.zero_grad()
            l = loss(net(X[i:i + batch_size]), y[i:i + batch_size])
            l.mean().backward()
            trainer.step()
    return net[0].weight.detach().T, net[0].bias.detach()
