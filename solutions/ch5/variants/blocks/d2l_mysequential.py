"""Correct (real code): d2l's MySequential, which writes its modules straight into self._modules
under their positions.

Source: d2l-ai/d2l-zh, chapter_deep-learning-computation/model-construction.md (commit dae3fda),
the PyTorch tab's `MySequential`. Adapted to the contract: d2l's class has no __len__ or
__getitem__, so both are added (indexing a list of the modules, which raises IndexError itself);
FeaturesClassifier and layer_shapes, which d2l does not have, are the course's reference ones.
"""

import torch
from torch import nn

VERDICT = "correct"


class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            # Here, module is an instance of a Module subclass. We save it in
            # the member variable _modules of the Module class, whose type is
            # OrderedDict
            self._modules[str(idx)] = module

    def forward(self, X):
        # OrderedDict guarantees that the members are traversed in the order
        # they were added
        for block in self._modules.values():
            X = block(X)
        return X

    def __len__(self):
        return len(self._modules)

    def __getitem__(self, idx):
        return list(self._modules.values())[idx]


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
