"""Wrong: flattened_size's dry run uses torch.zeros((1, *input_shape)) with torch's defaults, so a float64 module or one on another device fails."""

import torch
from torch import nn
from torch.nn import functional as F

VERDICT = "wrong"
LOSES_ONLY = ["test_flattened_size_device_and_dtype"]

class ConvNet(nn.Module):
    """Conv(1->16) -> ReLU -> Conv(16->32) -> ReLU -> MaxPool 2 -> Dropout2d(0.10) -> flatten ->
    Linear(4608->64) -> ReLU -> Dropout(0.25) -> Linear(64->10) -> log_softmax."""

    def __init__(self) -> None:
        super().__init__()
        self.cn1 = nn.Conv2d(1, 16, kernel_size=3, stride=1)
        self.cn2 = nn.Conv2d(16, 32, kernel_size=3, stride=1)
        self.dp1 = nn.Dropout2d(0.10)
        self.dp2 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(4608, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.cn1(x))
        x = F.relu(self.cn2(x))
        x = self.dp1(F.max_pool2d(x, 2))
        x = torch.flatten(x, 1)
        x = self.dp2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


def flattened_size(features: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Values per example that `features` outputs for one input of shape `input_shape` (no batch
    dimension), found by a dry run without autograd in eval mode; the module's mode is restored."""
    param = next(iter(features.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    modes = [(m, m.training) for m in features.modules()]
    features.eval()
    try:
        with torch.no_grad():
            out = features(torch.zeros((1, *input_shape)))
    finally:
        for m, mode in modes:
            m.training = mode
    return int(out[0].numel())


def predict(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """int64 labels (N,) = argmax of model(X) over dimension 1, in eval mode and without autograd;
    the model's mode is restored afterwards."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            scores = model(X)
    finally:
        for m, mode in modes:
            m.training = mode
    return scores.argmax(dim=1)
