# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # AlexNet
#
# In 2012 a convolutional network by Krizhevsky, Sutskever and Hinton won the ImageNet
# competition by a wide margin, and the field changed almost overnight. AlexNet is not a new
# idea so much as LeNet made **deeper and wider**, trained on far more data with GPUs: eight
# layers with weights instead of five, ReLU instead of sigmoid activations, max-pooling,
# and dropout in the fully connected part to fight overfitting. Its first convolution looks at
# large 11×11 windows with a stride of 4, so that the huge 224×224 input shrinks quickly.
#
# ## The layout
#
# We build the version for single-channel 224×224 images (Fashion-MNIST scaled up) with 10
# classes, as one `nn.Sequential`. Every convolution and every hidden linear layer is followed
# by a ReLU; every max-pooling is 3×3 with stride 2.
#
# | layers | output for one 224×224 image |
# | --- | --- |
# | `Conv2d(in_channels, 96, kernel_size=11, stride=4, padding=1)`, ReLU | 96 × 54 × 54 |
# | `MaxPool2d(3, stride=2)` | 96 × 26 × 26 |
# | `Conv2d(96, 256, kernel_size=5, padding=2)`, ReLU | 256 × 26 × 26 |
# | `MaxPool2d(3, stride=2)` | 256 × 12 × 12 |
# | `Conv2d(256, 384, kernel_size=3, padding=1)`, ReLU | 384 × 12 × 12 |
# | `Conv2d(384, 384, kernel_size=3, padding=1)`, ReLU | 384 × 12 × 12 |
# | `Conv2d(384, 256, kernel_size=3, padding=1)`, ReLU | 256 × 12 × 12 |
# | `MaxPool2d(3, stride=2)`, `Flatten()` | 256 × 5 × 5 = 6400 |
# | `Linear(6400, 4096)`, ReLU, `Dropout(0.5)` | 4096 |
# | `Linear(4096, 4096)`, ReLU, `Dropout(0.5)` | 4096 |
# | `Linear(4096, num_classes)` | `num_classes` |
#
# Check the sizes with the formula $\lfloor (n - k + 2p) / s \rfloor + 1$: the first convolution
# gives $\lfloor (224 - 11 + 2) / 4 \rfloor + 1 = 54$; a 3×3 pooling with stride 2 takes 54 to
# $\lfloor (54 - 3) / 2 \rfloor + 1 = 26$; the 5×5 convolution with padding 2 and the 3×3 ones
# with padding 1 keep the size; the next poolings take 26 to 12 and 12 to 5. So the classifier
# reads $256 \cdot 5 \cdot 5 = 6400$ values per image.
#
# ## Where the parameters are
#
# A convolution from $c_i$ to $c_o$ channels with a $k \times k$ kernel has $k^2 c_i c_o + c_o$
# parameters, a linear layer $n_i n_o + n_o$. For AlexNet with one input channel and ten
# classes this makes 3.7 million parameters in the five convolutions and 43 million in the
# three linear layers (26.2 million in the first one alone): 46,764,746 in all, about 187 MB in
# float32. The convolutions, on the other hand, do most of the *arithmetic*, because each of
# their weights is used at every position of the image. The ratio is typical of the early deep
# networks, and it is why later designs (NiN, GoogLeNet) replaced the big fully connected layers
# with global average pooling.
#
# Some implementations, torchvision's among them, use a slightly different AlexNet (64, 192,
# 384, 256 and 256 channels, padding 2 in the first convolution, an adaptive average pooling to
# 6×6 and dropout *before* the linear layers). It is a fine network, but it is not the one this
# exercise asks for.
#
# ## What to write
#
# `alexnet(in_channels=1, num_classes=10)` returns the `nn.Sequential` of the table, with the
# layers in that order: `nn.Conv2d`, `nn.ReLU`, `nn.MaxPool2d`, `nn.Flatten`, `nn.Linear` and
# `nn.Dropout` modules directly inside it (no nested blocks). The first convolution reads
# `in_channels` channels and the last linear layer has `num_classes` outputs. For a batch of
# shape `(N, in_channels, 224, 224)` it returns `(N, num_classes)` scores.

# %%
import torch
from torch import nn


# %%
def alexnet(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """AlexNet for 224x224 inputs as one flat nn.Sequential (5 convolutions, 3 max-pools,
    3 linear layers, dropout 0.5 after the two hidden linear layers)."""
    ### BEGIN SOLUTION
    # HINT: write the table row by row inside nn.Sequential(...), a ReLU after every convolution and hidden linear layer
    return nn.Sequential(
        nn.Conv2d(in_channels, 96, kernel_size=11, stride=4, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(96, 256, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
        nn.Linear(6400, 4096), nn.ReLU(), nn.Dropout(p=0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(p=0.5),
        nn.Linear(4096, num_classes))
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The cell below prints the output shape after every layer for one 224×224 image (compare with
# the table) and the number of parameters, then trains on Fashion-MNIST resized to 224×224
# with SGD at learning rate 0.01 and batches of 128. On a GPU our source material reports a
# training accuracy of 0.878 and a test accuracy of 0.870 after ten epochs; on a CPU this
# takes hours.

# %%
if __name__ == "__main__":
    net = alexnet()
    X = torch.randn(1, 1, 224, 224)
    for layer in net:
        X = layer(X)
        print(f"{type(layer).__name__:10s} output shape: {tuple(X.shape)}")
    print("parameters:", sum(p.numel() for p in net.parameters()))

    import torchvision
    from torchvision import transforms

    to_tensor = transforms.Compose([transforms.Resize(224), transforms.ToTensor()])
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
    result = train_ch6(net, train_iter, test_iter, num_epochs=10, lr=0.01, device=device)
    print(f"loss {result['train_loss']:.3f}, train acc {result['train_acc']:.3f}, "
          f"test acc {result['test_acc']:.3f}")
