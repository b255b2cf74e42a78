"""Wrong: nn.Dropout(0.10) on the 4-D feature maps drops single pixels instead of whole channels."""

import torch
from torch import nn
from torch.nn import functional as F

VERDICT = "wrong"


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.cn1 = nn.Conv2d(1, 16, 3, 1)
        self.cn2 = nn.Conv2d(16, 32, 3, 1)
        self.dp1 = nn.Dropout(0.10)
        self.dp2 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(4608, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.cn1(x))
        x = F.relu(self.cn2(x))
        x = F.max_pool2d(x, 2)
        x = self.dp1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dp2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def flattened_size(features, input_shape):
    param = next(features.parameters(), None)
    device = param.device if param is not None else "cpu"
    was_training = features.training
    features.eval()
    with torch.no_grad():
        out = features(torch.zeros(1, *input_shape, device=device))
    features.train(was_training)
    return int(out[0].numel())


def predict(model, X):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        labels = model(X).argmax(dim=1)
    model.train(was_training)
    return labels
