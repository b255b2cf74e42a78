"""Correct: children set through _modules and read with getattr; an nn.Flatten child; layer_shapes with forward hooks, restoring every submodule's mode."""

import torch
from torch import nn

VERDICT = "correct"


class MySequential(nn.Module):
    def __init__(self, *modules):
        super().__init__()
        for idx, block in enumerate(modules):
            self._modules[str(idx)] = block   # what add_module does, without the checks
        self.size = len(modules)

    def forward(self, X):
        for i in range(self.size):
            X = getattr(self, str(i))(X)
        return X

    def __len__(self):
        return self.size

    def __getitem__(self, idx):
        if idx < -self.size or idx >= self.size:
            raise IndexError("MySequential index out of range")
        return getattr(self, str(idx % self.size))


class FeaturesClassifier(nn.Module):
    def __init__(self, features, classifier):
        super().__init__()
        self.features = features
        self.flatten = nn.Flatten()
        self.classifier = classifier

    def forward(self, X):
        return self.classifier(self.flatten(self.features(X)))


def layer_shapes(net, X):
    modes = {m: m.training for m in net.modules()}   # every submodule's own mode
    shapes = []
    hooks = [child.register_forward_hook(
        lambda module, inputs, output: shapes.append((module.__class__.__name__, tuple(output.shape))))
        for child in net.children()]
    net.eval()
    try:
        with torch.no_grad():
            for child in net.children():
                X = child(X)
    finally:
        for h in hooks:
            h.remove()
        for m, mode in modes.items():
            m.training = mode
    return shapes
