# source: github.com/LI-Ke/Deep-Learning-Handbook-PyTorch D2L/models/custom_module/Sequential.py lines 1-21 (rewritten for ch5.blocks)
# exercise: ch5.blocks
import torch
from torch import nn


class MySequential(nn.Module):
    def __init__(self, *modules):
        super().__init__()
        for idx, module in enumerate(modules):
            # _modules is an OrderedDict that nn.Module keeps its submodules in
            self._modules[str(idx)] = module

    def forward(self, X):
        for block in self._modules.values():
            X = block(X)
        return X


class FeaturesClassifier(nn.Module):
    def __init__(self, features, classifier):
        super().__init__()
        self.features = features
        self.classifier = classifier

    def forward(self, X):
        return self.classifier(self.features(X))


def layer_shapes(net, X):
    shapes = []
    for name, layer in net.named_children():
        X = layer(X)
        shapes.append((name, tuple(X.shape)))
    return shapes


if __name__ == '__main__':
    X = torch.rand(2, 20)
    net = MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
    print(net(X))
