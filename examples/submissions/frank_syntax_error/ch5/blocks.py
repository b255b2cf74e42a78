# %% [markdown]
# # Layers and blocks
#
# So far a network has been a list of layers applied one after the other. Real architectures
# are built from larger pieces: a *block* is any part of a network, from a single layer to a
# group of layers repeated many times, to the whole model. In PyTorch every block is an
# `nn.Module`, and blocks nest: a module can hold other modules, which hold others.
#
# A module has two duties. It *registers* the modules it holds, so that `parameters()`,
# `state_dict()`, `.to(device)` and `.train()` / `.eval()` reach every layer inside it, however
# deep. And it says how data flow through it, in `forward`. `nn.Sequential` does both for the
# commonest case, a chain, and wires each layer's output into the next layer automatically; for
# any other `nn.Module` subclass, `forward()` must be implemented manually by the programmer.
#
# ## Registering children
#
# Assigning a module to an attribute, `self.fc1 = nn.Linear(4, 8)`, registers it under the
# name `fc1` (that is how a network gets layers called `fc1`, `fc2` and `output`). When the
# names are not known in advance, `self.add_module(name, module)` does the same with a name
# given as a string. What does *not* register anything is keeping the modules in a plain
# Python list: `self.layers = [a, b]` hides them from `parameters()`, so an optimizer would never
# update them, `state_dict()` would not save them and `.to("cuda")` would leave them behind.
#
# `nn.Sequential` names its children `"0"`, `"1"`, `"2"`, ... in order; its `state_dict` keys
# are therefore `0.weight`, `0.bias`, `2.weight`, ... You will write that container yourself.
#
# ## Features and classifier
#
# Many image classifiers (AlexNet, VGG) are two blocks: `features`, convolutions and pooling
# that turn an image into a stack of feature maps of shape `(N, C, H, W)`, and `classifier`,
# fully connected layers that expect one vector per example, `(N, C·H·W)`. Between the two the
# forward pass flattens every example, **keeping the batch dimension**:
# `Z.reshape(Z.shape[0], -1)`, or `torch.flatten(Z, start_dim=1)`. A plain `Z.flatten()` would
# merge the whole batch into one long vector, and `Z.squeeze()` works until a batch happens to
# hold one example, when it drops the batch dimension as well.
#
# ## Looking inside: the shape of every layer
#
# When building a network it helps to push one example through it layer by layer and print
# each output's shape. For the LeNet-style chain below and one 28 x 28 grey image:
#
# ```
# Conv2d     (1, 6, 28, 28)      # 5x5 kernel, padding 2
# Sigmoid    (1, 6, 28, 28)
# AvgPool2d  (1, 6, 14, 14)
# Conv2d     (1, 16, 10, 10)     # 5x5 kernel, no padding
# Sigmoid    (1, 16, 10, 10)
# AvgPool2d  (1, 16, 5, 5)
# Flatten    (1, 400)
# Linear     (1, 120)
# ```
#
# Such a probe should not disturb the network: it runs in evaluation mode (dropout off,
# BatchNorm using, not updating, its running statistics), without gradients, and puts the
# network back in the mode it found it in, training or evaluation.
#
# ## What to write
#
# 1. `MySequential(*modules)`: an `nn.Module` (not a subclass of `nn.Sequential`, and with no
#    `nn.Sequential`, `nn.ModuleList` or `nn.ModuleDict` inside) that registers its arguments as
#    children named `"0"`, `"1"`, ... in order, and whose `forward` applies them in that order
#    (each to the previous one's output; with no modules it returns its input). A module given
#    twice is applied twice. `len(net)` is the number of modules given, `net[i]` returns the
#    `i`-th one (negative `i` counts from the end, like a list) and raises `IndexError` when `i`
#    is out of range.
# 2. `FeaturesClassifier(features, classifier)`: an `nn.Module` holding the two blocks as
#    attributes named `features` and `classifier`; `forward(X)` applies `features`, flattens each
#    example into one vector (keeping the batch dimension, also for a batch of one) and applies
#    `classifier`.
# 3. `layer_shapes(net, X)`: feed `X` through the direct children of `net` in order
#    (`net.children()`), each to the previous one's output, and return the list of pairs
#    `(class name, output shape)`, e.g. `("Conv2d", (1, 6, 28, 28))`, with the class name
#    `type(layer).__name__` and the shape a tuple of ints (batch dimension included). Run in
#    evaluation mode without gradients, leave `X` unchanged, and leave `net` in the mode it was
#    in.

# %%
import torch
from torch import nn


# %%
class MySequential(nn.Module):
    """A chain of modules, registered as children "0", "1", ... and applied in that order."""

    def __init__(self, *modules: nn.Module) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        # HINT: register each module under its position as a string with self.add_module
        for i, module in enumerate(modules):
            self.add_module(str(i), module)
        ### END SOLUTION

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        # HINT: loop over the registered modules in order (self._modules keeps them, repeats included)
        for module in self._modules.values():
            X = module(X)
        return X
        ### END SOLUTION

    def __len__(self) -> int:
        ### BEGIN SOLUTION
        # HINT: how many modules are registered?
        return len(self._modules)
        ### END SOLUTION

    def __getitem__(self, idx: int) -> nn.Module:
        ### BEGIN SOLUTION
        # HINT: turn a negative index into a position, check the range, look the name up
        n = len(self)
        position = idx + n if idx < 0 else idx
        if not 0 <= position < n:
            raise IndexError(f"index {idx} is out of range for a MySequential of {n} modules")
        return self._modules[str(position)]
        ### END SOLUTION


# %%
class FeaturesClassifier(nn.Module):
    """features, then flatten each example (batch dimension kept), then classifier."""

    def __init__(self, features: nn.Module, classifier: nn.Module) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        # HINT: keep the two blocks as attributes named features and classifier
        self.features = features
        self.classifier = classifier
        ### END SOLUTION

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        # HINT: features, then flatten everything but the batch dimension, then classifier
        Z = self.features(X)
        return self.classifier(Z.reshape(Z.shape[0], -1))
        ### END SOLUTION


# %%
def layer_shapes(net: nn.Module, X: torch.Tensor) -> list[tuple[str, tuple[int, ...]]]:
    """[(class name, output shape)] for each direct child of net, fed one after the other.

    Runs in eval mode without gradients and leaves net in the mode it was in.
    """
    ### BEGIN SOLUTION
    # HINT: remember net.training, switch to eval, loop over net.children() under torch.no_grad(), restore the mode (try/finally)
    was_training = net.training
    net.eval()
    shapes = []
    try:
        with torch.no_grad():
            for layer in net.children():
                X = layer(X)
                shapes.append((type(layer).__name__, tuple(X.shape)))
    finally:
        net.train(was_training)
    return shapes
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The cell below builds the LeNet-style chain of the text with your `MySequential`, prints the
# shape after every layer, and wraps a small convolutional `features` block and a linear
# `classifier` into a `FeaturesClassifier`.

# %%
if __name__ == "__main__":
    lenet = MySequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))
    for name, shape in layer_shapes(lenet, torch.rand(1, 1, 28, 28)):
        print(f"{name:10s} {shape}")
    print(len(lenet), lenet[0], lenet[-1])
    print(list(lenet.state_dict())[:4])

    net = FeaturesClassifier(nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)),
                             nn.Linear(4 * 14 * 14, 10))
    print(net(torch.rand(1, 1, 28, 28)).shape, net(torch.rand(8, 1, 28, 28)).shape)
