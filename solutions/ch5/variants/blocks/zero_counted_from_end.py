"""Wrong: net[i] counts from the end for every i that is not positive, so net[0] gives IndexError."""

import torch
from torch import nn

VERDICT = "wrong"


class MySequential(nn.Module):
    """A chain of modules, registered as children "0", "1", ... and applied in that order."""

    def __init__(self, *modules: nn.Module) -> None:
        super().__init__()
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        for module in self._modules.values():
            X = module(X)
        return X

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, idx: int) -> nn.Module:
        n = len(self)
        position = idx if idx > 0 else n + idx
        if not 0 <= position < n:
            raise IndexError(f"index {idx} is out of range for a MySequential of {n} modules")
        return self._modules[str(position)]


class FeaturesClassifier(nn.Module):
    """features, then flatten each example (batch dimension kept), then classifier."""

    def __init__(self, features: nn.Module, classifier: nn.Module) -> None:
        super().__init__()
        self.features = features
        self.classifier = classifier

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Z = self.features(X)
        return self.classifier(Z.reshape(Z.shape[0], -1))


def layer_shapes(net: nn.Module, X: torch.Tensor) -> list[tuple[str, tuple[int, ...]]]:
    """[(class name, output shape)] for each direct child of net, fed one after the other.

    Runs in eval mode without gradients and leaves net in the mode it was in.
    """
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
