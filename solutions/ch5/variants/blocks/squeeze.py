"""Wrong: FeaturesClassifier flattens with view(N, -1).squeeze(), losing the batch dimension for one example."""

import torch
from torch import nn

VERDICT = "wrong"


class MySequential(nn.Module):
    def __init__(self, *modules):
        super().__init__()
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    def forward(self, X):
        for module in self._modules.values():
            X = module(X)
        return X

    def __len__(self):
        return len(self._modules)

    def __getitem__(self, idx):
        n = len(self)
        position = idx + n if idx < 0 else idx
        if not 0 <= position < n:
            raise IndexError(f"index {idx} out of range")
        return self._modules[str(position)]


class FeaturesClassifier(nn.Module):
    def __init__(self, features, classifier):
        super().__init__()
        self.features = features
        self.classifier = classifier

    def forward(self, X):
        Z = self.features(X)
        return self.classifier(Z.reshape(Z.shape[0], -1).squeeze())


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
