"""Wrong: MySequential keeps its modules in a plain Python list, so nothing is registered."""

import torch
from torch import nn

VERDICT = "wrong"


class MySequential(nn.Module):
    def __init__(self, *modules):
        super().__init__()
        self.layers = list(modules)

    def forward(self, X):
        for module in self.layers:
            X = module(X)
        return X

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, idx):
        n = len(self)
        position = idx + n if idx < 0 else idx
        if not 0 <= position < n:
            raise IndexError(f"index {idx} out of range")
        return self.layers[position]


class FeaturesClassifier(nn.Module):
    def __init__(self, features, classifier):
        super().__init__()
        self.features = features
        self.classifier = classifier

    def forward(self, X):
        Z = self.features(X)
        return self.classifier(Z.reshape(Z.shape[0], -1))


def layer_shapes(net, X):
    was_training = net.training
    net.eval()
    shapes = []
    try:
        with torch.no_grad():
            for layer in net.children():
                X = layer(X)
                shapes.append((type(layer).__name__, tuple(X.shape)))
    finally:
        net.train(was_training)
    return shapes
