# source: github.com/The-AI-Summer/learn-deep-learning CNN/inception_module.py lines 1-27 (rewritten for ch7.googlenet)
# exercise: ch7.googlenet
import torch
import torch.nn as nn


class Inception(nn.Module):
    def __init__(self, in_channels, c1, c2, c3, c4):
        super().__init__()
        self.branch1 = nn.Sequential(nn.Conv2d(in_channels, c1, kernel_size=1), nn.ReLU())
        self.branch2 = nn.Sequential(nn.Conv2d(in_channels, c2[0], kernel_size=1), nn.ReLU(),
                                     nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1), nn.ReLU())
        self.branch3 = nn.Sequential(nn.Conv2d(in_channels, c3[0], kernel_size=1), nn.ReLU(),
                                     nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2), nn.ReLU())
        self.branch4 = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1),
                                     nn.Conv2d(in_channels, c4, kernel_size=1), nn.ReLU())

    def forward(self, x):
        outputs = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return torch.cat(outputs, dim=1)


def googlenet(in_channels=1, num_classes=10):
    stem = nn.Sequential(
        nn.Conv2d(in_channels, 64, 7, stride=2, padding=3), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
        nn.Conv2d(64, 64, 1), nn.ReLU(), nn.Conv2d(64, 192, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
    blocks = [
        Inception(192, 64, (96, 128), (16, 32), 32), Inception(256, 128, (128, 192), (32, 96), 64),
        nn.MaxPool2d(3, 2, 1),
        Inception(480, 192, (96, 208), (16, 48), 64), Inception(512, 160, (112, 224), (24, 64), 64),
        Inception(512, 128, (128, 256), (24, 64), 64), Inception(512, 112, (144, 288), (32, 64), 64),
        Inception(528, 256, (160, 320), (32, 128), 128), nn.MaxPool2d(3, 2, 1),
        Inception(832, 256, (160, 320), (32, 128), 128), Inception(832, 384, (192, 384), (48, 128), 128),
    ]
    head = nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(1024, num_classes))
    return nn.Sequential(stem, *blocks, head)


model = Inception(192, 64, (96, 128), (16, 32), 32)
