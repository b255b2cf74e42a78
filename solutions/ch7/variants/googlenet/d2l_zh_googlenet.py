"""Wrong (real code): a d2l GoogLeNet whose b2 has no ReLU after its 3x3 convolution and whose b5
ends in a global *max* pool (nn.AdaptiveMaxPool2d): the layers and shapes of the table, other
values.

Source: d2l-ai/d2l-zh, chapter_convolutional-modern/googlenet.md (commit 083e869), the PyTorch
tab's `Inception`, `b1` ... `b5` and `net`. Adapted to the contract: wrapped in
googlenet(in_channels, num_classes), which replace the book's 1 input channel and 10 classes.
"""

import torch
from torch import nn
from torch.nn import functional as F

VERDICT = "wrong"


class Inception(nn.Module):
    # c1--c4 are the numbers of output channels of the paths
    def __init__(self, in_channels, c1, c2, c3, c4, **kwargs):
        super(Inception, self).__init__(**kwargs)
        # path 1: a single 1 x 1 convolution
        self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        # path 2: a 1 x 1 convolution, then a 3 x 3 convolution
        self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        # path 3: a 1 x 1 convolution, then a 5 x 5 convolution
        self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        # path 4: a 3 x 3 max-pool, then a 1 x 1 convolution
        self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)

    def forward(self, x):
        p1 = F.relu(self.p1_1(x))
        p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
        p4 = F.relu(self.p4_2(self.p4_1(x)))
        # concatenate the outputs on the channel dimension
        return torch.cat((p1, p2, p3, p4), dim=1)


def googlenet(in_channels=1, num_classes=10):
    b1 = nn.Sequential(nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3),
                       nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b2 = nn.Sequential(nn.Conv2d(64, 64, kernel_size=1),
                       nn.ReLU(),
                       nn.Conv2d(64, 192, kernel_size=3, padding=1),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b3 = nn.Sequential(Inception(192, 64, (96, 128), (16, 32), 32),
                       Inception(256, 128, (128, 192), (32, 96), 64),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b4 = nn.Sequential(Inception(480, 192, (96, 208), (16, 48), 64),
                       Inception(512, 160, (112, 224), (24, 64), 64),
                       Inception(512, 128, (128, 256), (24, 64), 64),
                       Inception(512, 112, (144, 288), (32, 64), 64),
                       Inception(528, 256, (160, 320), (32, 128), 128),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b5 = nn.Sequential(Inception(832, 256, (160, 320), (32, 128), 128),
                       Inception(832, 384, (192, 384), (48, 128), 128),
                       nn.AdaptiveMaxPool2d((1,1)),
                       nn.Flatten())
    return nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(1024, num_classes))
