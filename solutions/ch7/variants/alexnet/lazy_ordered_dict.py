"""Correct: an nn.Sequential from an OrderedDict with named layers, in-place ReLUs, tuple sizes and nn.LazyLinear for the first linear layer."""

from collections import OrderedDict

from torch import nn

VERDICT = "correct"


def alexnet(in_channels=1, num_classes=10):
    layers = OrderedDict()
    layers["conv1"] = nn.Conv2d(in_channels, 96, (11, 11), (4, 4), (1, 1))
    layers["relu1"] = nn.ReLU(inplace=True)
    layers["pool1"] = nn.MaxPool2d((3, 3), (2, 2))
    layers["conv2"] = nn.Conv2d(96, 256, (5, 5), padding=(2, 2))
    layers["relu2"] = nn.ReLU(inplace=True)
    layers["pool2"] = nn.MaxPool2d(3, 2)
    layers["conv3"] = nn.Conv2d(256, 384, 3, padding=1)
    layers["relu3"] = nn.ReLU(inplace=True)
    layers["conv4"] = nn.Conv2d(384, 384, 3, padding=1)
    layers["relu4"] = nn.ReLU(inplace=True)
    layers["conv5"] = nn.Conv2d(384, 256, 3, padding=1)
    layers["relu5"] = nn.ReLU(inplace=True)
    layers["pool5"] = nn.MaxPool2d(3, 2)
    layers["flatten"] = nn.Flatten(start_dim=1)
    layers["fc6"] = nn.LazyLinear(4096)
    layers["relu6"] = nn.ReLU(inplace=True)
    layers["drop6"] = nn.Dropout(0.5)
    layers["fc7"] = nn.Linear(4096, 4096)
    layers["relu7"] = nn.ReLU(inplace=True)
    layers["drop7"] = nn.Dropout(0.5)
    layers["fc8"] = nn.Linear(4096, num_classes)
    return nn.Sequential(layers)
