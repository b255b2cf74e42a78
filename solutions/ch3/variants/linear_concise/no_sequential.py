"""Wrong: linear_net returns the bare nn.Linear instead of nn.Sequential."""

import torch

VERDICT = "wrong"
LOSES_ONLY = ["test_linear_net"]   # one slip, one check: the clause table says which
from torch import nn
from torch.utils import data


def load_array(arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


def linear_net(d):
    layer = nn.Linear(d, 1)
    layer.weight.data.normal_(0, 0.01)
    layer.bias.data.fill_(0)
    return layer


def train_concise(X, y, loss="mse", lr=0.03, num_epochs=3, batch_size=10):
    if loss == "mse":
        loss_fn = nn.MSELoss()
    elif loss == "huber":
        loss_fn = nn.HuberLoss()
    else:
        raise ValueError(f"unknown loss {loss!r}")
    net = nn.Sequential(linear_net(X.shape[1])).to(X.device)
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
