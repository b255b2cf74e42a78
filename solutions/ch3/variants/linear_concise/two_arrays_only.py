"""Wrong: load_array only takes the first two arrays."""

import torch

VERDICT = "wrong"
LOSES_ONLY = ["test_load_array_any_number_of_arrays"]   # one slip, one check: the clause table says which
from torch import nn
from torch.utils import data


def load_array(arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(arrays[0], arrays[1])
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


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
