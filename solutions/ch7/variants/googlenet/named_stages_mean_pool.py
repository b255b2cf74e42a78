"""Correct: in-place ReLUs, stages named b1..b5 in an OrderedDict and a hand-written global average pool."""

from collections import OrderedDict

import torch
from torch import nn

VERDICT = "correct"


class Inception(nn.Module):
    def __init__(self, in_channels: int, c1: int, c2: tuple[int, int], c3: tuple[int, int],
                 c4: int) -> None:
        super().__init__()
        # Registered in a different order than the reference: names, not order, are the contract.
        self.p4_1 = nn.MaxPool2d(kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
        self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=(1, 1))
        self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding="same")
        self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.empty(0)
        p4 = torch.relu_(self.p4_2(self.p4_1(x)))
        p3 = torch.relu_(self.p3_2(torch.relu(self.p3_1(x))))
        p2 = torch.relu_(self.p2_2(torch.relu(self.p2_1(x))))
        p1 = torch.relu_(self.p1_1(x))
        out = torch.cat([p1, p2, p3, p4], dim=-3)
        return out


class GlobalAvgPool(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


def googlenet(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    def pool() -> nn.MaxPool2d:
        return nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

    return nn.Sequential(OrderedDict(
        b1=nn.Sequential(nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3),
                         nn.ReLU(inplace=True), pool()),
        b2=nn.Sequential(nn.Conv2d(64, 64, kernel_size=1), nn.ReLU(inplace=True),
                         nn.Conv2d(64, 192, kernel_size=3, padding=1), nn.ReLU(inplace=True), pool()),
        b3=nn.Sequential(Inception(192, 64, (96, 128), (16, 32), 32),
                         Inception(256, 128, (128, 192), (32, 96), 64), pool()),
        b4=nn.Sequential(Inception(480, 192, (96, 208), (16, 48), 64),
                         Inception(512, 160, (112, 224), (24, 64), 64),
                         Inception(512, 128, (128, 256), (24, 64), 64),
                         Inception(512, 112, (144, 288), (32, 64), 64),
                         Inception(528, 256, (160, 320), (32, 128), 128), pool()),
        b5=nn.Sequential(Inception(832, 256, (160, 320), (32, 128), 128),
                         Inception(832, 384, (192, 384), (48, 128), 128), GlobalAvgPool()),
        head=nn.Linear(1024, num_classes),
    ))
