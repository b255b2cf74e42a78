"""Correct: ReLU/pool as modules, x.view(-1, 4608) to flatten, labels from torch.argmax; the mode saved as a bool."""

import torch
from torch import nn
import torch.nn.functional as F

VERDICT = "correct"


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.cn1 = nn.Conv2d(1, 16, 3)
        self.cn2 = nn.Conv2d(16, 32, 3)
        self.fc1 = nn.Linear(12 * 12 * 32, 64)
        self.fc2 = nn.Linear(64, 10)
        self.dropout_2d = nn.Dropout2d(0.1)
        self.dropout = nn.Dropout(0.25)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, x):
        x = self.pool(self.relu(self.cn2(self.relu(self.cn1(x)))))
        x = self.dropout_2d(x).reshape(-1, 4608)
        x = self.dropout(self.relu(self.fc1(x)))
        return torch.log_softmax(self.fc2(x), 1)


def flattened_size(features, input_shape):
    training = features.training
    p = next(iter(features.parameters()), None)
    x = torch.zeros(1, *input_shape) if p is None else torch.zeros(1, *input_shape, device=p.device, dtype=p.dtype)
    features.train(False)
    with torch.no_grad():
        n = features(x).flatten(1).shape[1]
    features.train(training)
    return int(n)


def predict(model, X):
    training = model.training
    model.eval()
    with torch.no_grad():
        out = model(X)
    if training:
        model.train()
    return torch.argmax(out, dim=1).to(torch.int64)
