# source: github.com/enternityFan/dlLearnProject Charpter5深度学习计算/5_4Script.py lines 1-33 (rewritten for ch5.custom_layers)
# exercise: ch5.custom_layers
# @Software:PyCharm
import math

import torch
import torch.nn.functional as F
from torch import nn


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        bound = 1 / math.sqrt(in_units)
        self.weight = nn.Parameter(torch.empty(in_units, units).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(units).uniform_(-bound, bound))

    def forward(self, X):
        return X @ self.weight + self.bias

    def extra_repr(self):
        return f"in_units={self.weight.shape[0]}, units={self.weight.shape[1]}"


class MyFlatten(nn.Module):
    def __init__(self, start_dim=1):
        super().__init__()
        self.start_dim = start_dim

    def forward(self, X):
        keep = X.shape[:self.start_dim]
        return X.view(*keep, -1) if X.is_contiguous() else X.reshape(*keep, -1)


if __name__ == "__main__":
    print(F.relu(MyLinear(5, 3)(torch.rand(2, 5))))
