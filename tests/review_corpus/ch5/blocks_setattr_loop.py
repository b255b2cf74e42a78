# source: github.com/Lucas-SJY/pytorch_study customized_blocks.py lines 1-27 (rewritten for ch5.blocks)
# exercise: ch5.blocks
import torch
from torch import nn


class MySequential(nn.Module):
    def __init__(self, *modules):
        super().__init__()
        self.n = len(modules)
        for i, m in enumerate(modules):
            setattr(self, f"layer{i}", m)

    def forward(self, X):
        for i in range(self.n):
            X = getattr(self, f"layer{i}")(X)
        return X


class FeaturesClassifier(nn.Module):
    def __init__(self, features, classifier):
        super().__init__()
        self.features, self.classifier = features, classifier

    def forward(self, X):
        X = self.features(X)
        return self.classifier(X)


def layer_shapes(net, X):
    result = []
    for name, module in net.named_children():
        X = module(X)
        result.append((name, tuple(X.shape)))
    return result
