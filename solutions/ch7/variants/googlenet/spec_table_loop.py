"""Correct: ReLU modules and a list of paths in Inception; googlenet built by a helper from a table of stage specs."""

import torch
from torch import nn

VERDICT = "correct"


class Inception(nn.Module):
    def __init__(self, in_channels: int, c1: int, c2: tuple[int, int], c3: tuple[int, int],
                 c4: int) -> None:
        super().__init__()
        self.p1_1 = nn.Conv2d(in_channels, c1, 1)
        self.p2_1 = nn.Conv2d(in_channels, c2[0], 1)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], 3, padding=1)
        self.p3_1 = nn.Conv2d(in_channels, c3[0], 1)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], 5, padding=2)
        self.p4_1 = nn.MaxPool2d(3, 1, 1)
        self.p4_2 = nn.Conv2d(in_channels, c4, 1)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = self.act
        paths = [
            r(self.p1_1(x)),
            r(self.p2_2(r(self.p2_1(x)))),
            r(self.p3_2(r(self.p3_1(x)))),
            r(self.p4_2(self.p4_1(x))),
        ]
        return torch.cat(paths, 1)


# (c1, (c2 reduce, c2 out), (c3 reduce, c3 out), c4) for the Inception blocks of each stage
STAGES = {
    3: [(64, (96, 128), (16, 32), 32), (128, (128, 192), (32, 96), 64)],
    4: [(192, (96, 208), (16, 48), 64), (160, (112, 224), (24, 64), 64), (128, (128, 256), (24, 64), 64),
        (112, (144, 288), (32, 64), 64), (256, (160, 320), (32, 128), 128)],
    5: [(256, (160, 320), (32, 128), 128), (384, (192, 384), (48, 128), 128)],
}


def _pool() -> nn.MaxPool2d:
    return nn.MaxPool2d(3, 2, 1)


def _inception_stage(channels: int, specs: list) -> tuple[list[nn.Module], int]:
    blocks = []
    for c1, c2, c3, c4 in specs:
        blocks.append(Inception(channels, c1, c2, c3, c4))
        channels = c1 + c2[1] + c3[1] + c4
    return blocks, channels


def googlenet(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    stages = [
        nn.Sequential(nn.Conv2d(in_channels, 64, 7, 2, 3), nn.ReLU(), _pool()),
        nn.Sequential(nn.Conv2d(64, 64, 1), nn.ReLU(), nn.Conv2d(64, 192, 3, padding=1), nn.ReLU(), _pool()),
    ]
    channels = 192
    for index in (3, 4, 5):
        blocks, channels = _inception_stage(channels, STAGES[index])
        tail = [_pool()] if index < 5 else [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        stages.append(nn.Sequential(*blocks, *tail))
    return nn.Sequential(*stages, nn.Linear(channels, num_classes))
