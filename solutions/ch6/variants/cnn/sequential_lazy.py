"""Correct: layer modules (nn.ReLU, nn.MaxPool2d, nn.Flatten) run in a loop, fc1 an nn.LazyLinear; flattened_size and predict written with inference_mode and per-module modes."""

import torch
from torch import nn

VERDICT = "correct"


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.cn1 = nn.Conv2d(in_channels=1, out_channels=16, kernel_size=(3, 3), stride=(1, 1), padding="valid")
        self.act1 = nn.ReLU()
        self.cn2 = nn.Conv2d(16, 32, kernel_size=3)
        self.act2 = nn.ReLU()
        self.pool = nn.MaxPool2d(kernel_size=2)
        self.drop_maps = nn.Dropout2d(p=0.1)
        self.flat = nn.Flatten()
        self.fc1 = nn.LazyLinear(64)
        self.act3 = nn.ReLU()
        self.drop_units = nn.Dropout(p=0.25)
        self.fc2 = nn.Linear(64, 10)
        self.out = nn.LogSoftmax(dim=1)

    def forward(self, x):
        for layer in self.children():
            x = layer(x)
        return x


def flattened_size(features, input_shape):
    modes = {m: m.training for m in features.modules()}
    params = list(features.parameters())
    kw = {"device": params[0].device, "dtype": params[0].dtype} if params else {}
    features.eval()
    with torch.no_grad():
        shape = features(torch.zeros((1,) + tuple(input_shape), **kw)).shape
    for m, mode in modes.items():
        m.train(mode)
    size = 1
    for d in shape[1:]:
        size *= d
    return size


def predict(model, X):
    was = model.training
    try:
        model.eval()
        with torch.inference_mode():
            scores = model(X)
        return torch.max(scores, dim=1).indices.clone()
    finally:
        model.train(was)
