"""Correct: d2l's own loaders, with worker processes: load_array as d2l writes it, given
num_workers=get_dataloader_workers() (4) as d2l's load_data_fashion_mnist does.

Source: d2l-ai/d2l-zh, d2l/torch.py (commit 042c11c), `load_array`, `get_dataloader_workers`
and `load_data_fashion_mnist`; the training loop follows the book's linear-regression-concise
section. Adapted to the contract: the arrays argument is named `arrays`, the loss is chosen by
name (Huber by nn.HuberLoss) and train_concise returns the dict the exercise asks for. Workers
load each epoch's batches in forked processes, which the sandbox must allow within the budgets.
"""

import torch

VERDICT = "correct"
from torch import nn
from torch.utils import data


def get_dataloader_workers():
    """Use 4 processes to read the data."""
    return 4


def load_array(arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train, num_workers=get_dataloader_workers())


def linear_net(d):
    net = nn.Sequential(nn.Linear(d, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    return net


def train_concise(X, y, loss="mse", lr=0.03, num_epochs=3, batch_size=10):
    if loss == "mse":
        loss_fn = nn.MSELoss()
    elif loss == "huber":
        loss_fn = nn.HuberLoss()
    else:
        raise ValueError(f"unknown loss {loss!r}")
    net = linear_net(X.shape[1]).to(X.device)
    data_iter = load_array((X, y), batch_size)
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    history = []
    for epoch in range(num_epochs):
        for X_b, y_b in data_iter:
            l = loss_fn(net(X_b), y_b)
            trainer.zero_grad()
            l.backward()
            trainer.step()
        with torch.no_grad():
            history.append(loss_fn(net(X), y).item())
    return {"w": net[0].weight.data.clone(), "b": net[0].bias.data.clone(), "epoch_loss": history}
