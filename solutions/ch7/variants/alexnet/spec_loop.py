"""Correct: the convolutional part built in a loop from a table of (out_channels, kernel, stride, padding, pool after), padding="same" for the stride-1 convolutions."""

from torch import nn

VERDICT = "correct"

CONVS = [(96, 11, 4, 1, True), (256, 5, 1, 2, True), (384, 3, 1, 1, False), (384, 3, 1, 1, False),
         (256, 3, 1, 1, True)]


def alexnet(in_channels=1, num_classes=10):
    layers = []
    channels = in_channels
    for out_channels, kernel, stride, padding, pool in CONVS:
        pad = "same" if stride == 1 and padding == kernel // 2 else padding
        layers += [nn.Conv2d(channels, out_channels, kernel, stride=stride, padding=pad), nn.ReLU()]
        if pool:
            layers.append(nn.MaxPool2d(3, stride=2))
        channels = out_channels
    layers.append(nn.Flatten())
    width = channels * 5 * 5
    for _ in range(2):
        layers += [nn.Linear(width, 4096), nn.ReLU(), nn.Dropout(0.5)]
        width = 4096
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)
