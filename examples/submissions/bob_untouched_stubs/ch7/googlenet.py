# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Inception blocks and GoogLeNet
#
# Every convolutional network so far had to commit, layer by layer, to one window size: 1×1,
# 3×3, 5×5 or 11×11. Small windows see fine detail, large windows see shapes that are spread
# out. GoogLeNet (Szegedy et al., 2014) refuses to choose. Its building block, the **Inception
# block**, runs several window sizes *side by side* on the same input and lets training decide
# how much each one matters. The outputs of the parallel branches are stacked along the channel
# dimension, so the next layer sees all of them at once.
#
# ## The Inception block
#
# An Inception block has four paths that all read the same input of shape
# `(N, in_channels, H, W)`:
#
# 1. a 1×1 convolution with `c1` output channels;
# 2. a 1×1 convolution down to `c2[0]` channels, then a 3×3 convolution (padding 1) to `c2[1]`;
# 3. a 1×1 convolution down to `c3[0]` channels, then a 5×5 convolution (padding 2) to `c3[1]`;
# 4. a 3×3 max-pooling with stride 1 and padding 1, then a 1×1 convolution to `c4` channels.
#
# Every convolution is followed by a ReLU, the intermediate ones included. The paddings are
# chosen so that no path changes the height or the width: a $k \times k$ window with padding
# $(k-1)/2$ and stride 1 keeps an $H \times W$ input at $H \times W$. That is what makes the
# four outputs stackable: `torch.cat` along dimension 1, in the order path 1, 2, 3, 4, gives
# `c1 + c2[1] + c3[1] + c4` channels at the input's height and width.
#
# The first block of the network, `Inception(192, 64, (96, 128), (16, 32), 32)`, turns 192
# channels into $64 + 128 + 32 + 32 = 256$. Its successor,
# `Inception(256, 128, (128, 192), (32, 96), 64)`, turns 256 into
# $128 + 192 + 96 + 64 = 480$.
#
# ## Why the 1×1 convolutions come first: cost
#
# A 1×1 convolution mixes the channels of one pixel and nothing else: it is a small linear layer
# applied at every position. With fewer output than input channels it *compresses* the channel
# dimension before the expensive windows see it. A $k \times k$ convolution from $c_i$ to $c_o$
# channels has $k^2 c_i c_o$ weights and does that many multiply-adds at every output pixel, so
# shrinking $c_i$ first pays off directly.
#
# Count it for the first block, where the input has 192 channels:
#
# * path 3 straight from 192 to 32 channels with a 5×5 window needs
#   $25 \cdot 192 \cdot 32 = 153\,600$ weights. Going through 16 channels first needs
#   $192 \cdot 16 + 25 \cdot 16 \cdot 32 = 3\,072 + 12\,800 = 15\,872$, almost ten times fewer;
# * path 2 straight from 192 to 128 channels with a 3×3 window needs
#   $9 \cdot 192 \cdot 128 = 221\,184$ weights; through 96 channels it is
#   $192 \cdot 96 + 9 \cdot 96 \cdot 128 = 18\,432 + 110\,592 = 129\,024$.
#
# The whole block has 163 328 convolution weights instead of 393 216 without the reductions,
# and at the 12×12 resolution it works on inside our network that is about 23.5 million instead
# of 56.6 million multiply-adds per image. Deeper in the network the saving grows: the last
# block of stage 4 reads 832 channels, and its 5×5 path would need $25 \cdot 832 \cdot 128 =
# 2\,662\,400$ weights without the reduction to 32 channels and 129 024 with it, twenty times
# fewer. The max-pooling path uses its 1×1 convolution for the same purpose: pooling keeps all
# `in_channels`, and the 1×1 convolution brings them down to `c4`.
#
# ## GoogLeNet
#
# GoogLeNet stacks nine Inception blocks between a plain convolutional stem and a global
# average pool. We follow the version for 96×96 grey images (Fashion-MNIST scaled up) and split
# it into five stages; every max-pooling between stages is 3×3 with stride 2 and padding 1, so
# it halves the height and the width.
#
# | stage | layers | output for a 96×96 input |
# | --- | --- | --- |
# | `b1` | 7×7 conv, 64 channels, stride 2, padding 3; ReLU; max-pool | 64 × 24 × 24 |
# | `b2` | 1×1 conv, 64 channels; ReLU; 3×3 conv, 192 channels, padding 1; ReLU; max-pool | 192 × 12 × 12 |
# | `b3` | `Inception(192, 64, (96, 128), (16, 32), 32)`, `Inception(256, 128, (128, 192), (32, 96), 64)`; max-pool | 480 × 6 × 6 |
# | `b4` | five blocks to 512, 512, 512, 528, 832 channels (below); max-pool | 832 × 3 × 3 |
# | `b5` | `Inception(832, 256, (160, 320), (32, 128), 128)`, `Inception(832, 384, (192, 384), (48, 128), 128)`; global average pool; flatten | 1024 |
#
# The five blocks of `b4` are
# `Inception(480, 192, (96, 208), (16, 48), 64)`, `Inception(512, 160, (112, 224), (24, 64), 64)`,
# `Inception(512, 128, (128, 256), (24, 64), 64)`, `Inception(512, 112, (144, 288), (32, 64), 64)`
# and `Inception(528, 256, (160, 320), (32, 128), 128)`.
#
# The global average pool (`nn.AdaptiveAvgPool2d((1, 1))`) replaces each of the 1024 feature
# maps by its mean, whatever its size, so the classifier is a single `nn.Linear(1024,
# num_classes)` instead of the huge fully connected layers of AlexNet and VGG. The whole
# network has about six million parameters.
#
# ## What to write
#
# * `Inception(in_channels, c1, c2, c3, c4)`, an `nn.Module`. Its submodules must be named
#   `p1_1` (path 1's convolution), `p2_1`, `p2_2` (path 2's 1×1 and 3×3 convolutions), `p3_1`,
#   `p3_2` (path 3's 1×1 and 5×5 convolutions), `p4_1` (the `nn.MaxPool2d`) and `p4_2` (path 4's
#   1×1 convolution): the checks load weights by these names. `forward` applies ReLU after every
#   convolution and concatenates the four paths on the channel dimension in the order 1, 2, 3, 4.
# * `googlenet(in_channels=1, num_classes=10)` returns
#   `nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(1024, num_classes))`, each stage itself an
#   `nn.Sequential` holding the layers of the table in that order. Its first convolution reads
#   `in_channels` channels. For a batch of shape `(N, in_channels, 96, 96)` it returns
#   `(N, num_classes)` scores.

# %%
import torch
from torch import nn
from torch.nn import functional as F


# %%
class Inception(nn.Module):
    """Four parallel paths (1×1; 1×1 then 3×3; 1×1 then 5×5; 3×3 max-pool then 1×1), concatenated
    on the channel dimension. c2 and c3 are pairs (reduced channels, output channels)."""

    def __init__(self, in_channels: int, c1: int, c2: tuple[int, int], c3: tuple[int, int],
                 c4: int) -> None:
        super().__init__()
        raise NotImplementedError("create p1_1, p2_1, p2_2, p3_1, p3_2 as nn.Conv2d, p4_1 as nn.MaxPool2d and p4_2 as nn.Conv2d")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("compute the four paths with a ReLU after every convolution, then torch.cat them on dim=1")


# %%
def googlenet(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """GoogLeNet for 96×96 inputs: nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(1024, num_classes))."""
    raise NotImplementedError("build the stages b1..b5 of the table as nn.Sequential objects, then chain them with the final nn.Linear")


# %% [markdown]
# ## Try it
#
# Push one 96×96 image through the stages and watch the shapes shrink: 64 × 24 × 24,
# 192 × 12 × 12, 480 × 6 × 6, 832 × 3 × 3, 1024, 10. Then train on Fashion-MNIST scaled to
# 96×96: with SGD at learning rate 0.1, batches of 128 and Xavier-initialised weights, ten
# epochs gave a training accuracy of about 0.91 and a test accuracy of about 0.88 in the run our
# source material reports. On a GPU that takes minutes; on a CPU, hours.

# %%
if __name__ == "__main__":
    net = googlenet()
    X = torch.rand(1, 1, 96, 96)
    for stage in net:
        X = stage(X)
        print(type(stage).__name__, "output shape:", tuple(X.shape))
    print("trainable parameters:", sum(p.numel() for p in net.parameters()))

    import torchvision
    from torchvision import transforms

    to_tensor = transforms.Compose([transforms.Resize(96), transforms.ToTensor()])
    train_set = torchvision.datasets.FashionMNIST("data", train=True, transform=to_tensor, download=True)
    test_set = torchvision.datasets.FashionMNIST("data", train=False, transform=to_tensor, download=True)
    train_iter = torch.utils.data.DataLoader(train_set, batch_size=128, shuffle=True)
    test_iter = torch.utils.data.DataLoader(test_set, batch_size=128)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    # Your train_ch6 from chapter 6 (ch6/training_gpu.py, next to this chapter's folder) does
    # the training: Xavier init, SGD, cross-entropy, the batch loop. Finish that exercise first.
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path.cwd().parent / "ch6"))
    from training_gpu import train_ch6
    result = train_ch6(net, train_iter, test_iter, num_epochs=10, lr=0.1, device=device)
    print(f"loss {result['train_loss']:.3f}, train acc {result['train_acc']:.3f}, "
          f"test acc {result['test_acc']:.3f}")
