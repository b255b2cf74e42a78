# source: github.com/d2l-ai/d2l-en d2l/torch.py lines 1-33 (rewritten for ch7.alexnet)
# exercise: ch7.alexnet
import os
import sys

import torch
from torch import nn

os.environ['KMP_DUPLICATE_LIB_OK'] = 'True'   # matplotlib and torch both ship OpenMP on macOS


def alexnet(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    features = [
        nn.Conv2d(in_channels, 96, 11, 4, 1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
    ]
    classifier = [
        nn.Flatten(),
        nn.Linear(256 * 5 * 5, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, num_classes),
    ]
    return nn.Sequential(*features, *classifier)


def count(net):
    return sum(p.numel() for p in net.parameters())


if __name__ == "__main__":
    print(count(alexnet()), file=sys.stderr)
    sys.exit(0)
