# source: github.com/Bin-Ro/dive_into_deeplearning ch5/sequential_block.py lines 1-18 (rewritten for ch5.blocks)
# exercise: ch5.blocks
from collections import OrderedDict

import torch
from torch import nn
from torch.nn import functional as F


class MySequential(nn.Module):
    def __init__(self, *modules):
        super().__init__()
        for idx, module in enumerate(modules):
            self.add_module(str(idx), module)

    def forward(self, X):
        for block in self.children():
            X = block(X)
        return X

    def __len__(self):
        return len(self._modules)

    def __getitem__(self, idx):
        return list(self.children())[idx]


class FeaturesClassifier(nn.Module):
    def __init__(self, features, classifier):
        super().__init__()
        self.body = nn.Sequential(OrderedDict([("features", features), ("classifier", classifier)]))

    @property
    def features(self):
        return self.body.features

    @property
    def classifier(self):
        return self.body.classifier

    def forward(self, X):
        return self.body(X)


def layer_shapes(net, X):
    out = []
    for name, child in net.named_children():
        X = child(X)
        out.append((name, tuple(X.shape)))
    return out


class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.rand_weight = torch.rand((20, 20), requires_grad=False)
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(torch.mm(X, self.rand_weight) + 1)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()
