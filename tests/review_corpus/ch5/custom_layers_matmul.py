# source: github.com/JiaxuZhang-03/NN DeepLearningComputation/diy_layers.py lines 1-23 (rewritten for ch5.custom_layers)
# exercise: ch5.custom_layers
import torch
from torch import nn


class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units,))

    def forward(self, X):
        return torch.matmul(X, self.weight) + self.bias


class MyFlatten(nn.Module):
    def __init__(self, start_dim=1):
        super().__init__()
        self.start_dim = start_dim

    def forward(self, X):
        return X.reshape(*X.shape[:self.start_dim], -1)


net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1))
