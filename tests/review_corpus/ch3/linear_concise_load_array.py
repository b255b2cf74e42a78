# source: github.com/d2l-ai/d2l-en d2l/torch.py lines 149-153 (rewritten for ch3.linear_concise)
# exercise: ch3.linear_concise
import torch
from torch import nn
from torch.utils import data


def load_array(arrays, batch_size, is_train=True):
    """A PyTorch data iterator."""
    dataset = data.TensorDataset(*arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


def linear_net(d):
    net = nn.Sequential(nn.Linear(d, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    return net


def train_concise(X, y, loss="mse", lr=0.03, num_epochs=3, batch_size=10):
    net = linear_net(X.shape[1])
    criterion = nn.MSELoss() if loss == "mse" else nn.HuberLoss()
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    for epoch in range(num_epochs):
        for Xb, yb in load_array((X, y), batch_size):
            l = criterion(net(Xb), yb)
            trainer.zero_grad()
            l.backward()
            trainer.step()
        print(f'epoch {epoch + 1}, loss {criterion(net(X), y):f}')
    return net
