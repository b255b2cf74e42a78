# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # A convolutional network for digits
#
# With convolutions, pooling and dropout in hand we can put together a complete classifier for
# 28×28 grey images such as MNIST's handwritten digits. The network of this exercise is small
# enough to train on a laptop in minutes and still reaches about 99 % test accuracy: two
# convolutional layers extract local features, a max-pooling halves the resolution, and two
# fully connected layers turn the features into ten class scores.
#
# ## The layout
#
# | layer | what it does | output for one image |
# | --- | --- | --- |
# | `cn1` | `nn.Conv2d(1, 16, kernel_size=3, stride=1)`, then ReLU | 16 × 26 × 26 |
# | `cn2` | `nn.Conv2d(16, 32, kernel_size=3, stride=1)`, then ReLU | 32 × 24 × 24 |
# | pool | 2×2 max-pooling | 32 × 12 × 12 |
# | `nn.Dropout2d(0.10)` | drops whole channels of the 4-D tensor | 32 × 12 × 12 |
# | flatten | everything but the batch dimension | 4608 |
# | `fc1` | `nn.Linear(4608, 64)`, then ReLU | 64 |
# | `nn.Dropout(0.25)` | drops single entries of the 2-D tensor | 64 |
# | `fc2` | `nn.Linear(64, 10)`, then `log_softmax` over dimension 1 | 10 |
#
# Without padding, a 3×3 window fits $28 - 3 + 1 = 26$ times along each side, so `cn1` turns
# 28 into 26 and `cn2` turns 26 into 24; the pooling halves 24 to 12. The first linear layer
# therefore reads $12 \cdot 12 \cdot 32 = 4608$ numbers per image. Getting that number right
# by hand is error-prone: another layout gives another count (a LeNet variant with 10 channels
# at 7×7 reads $7 \cdot 7 \cdot 10 = 490$, one with 128 channels at 4×4 reads 2048), and any
# change to a kernel size or a padding changes it again. The reliable way is a **dry run**:
# push one dummy input of the right shape through the convolutional part and count the numbers
# that come out.
#
# The network returns *log-probabilities*: `log_softmax` makes the ten outputs of each row
# satisfy $\sum_k e^{o_k} = 1$. The matching loss is the negative log-likelihood
# `F.nll_loss(output, labels)`, which together with `log_softmax` is exactly the cross-entropy
# of chapter 3.
#
# ## Two kinds of dropout
#
# `nn.Dropout2d` drops **entire channels**: for each image and each of the 32 channels it
# decides once whether the whole 12×12 map is zeroed. Neighbouring pixels of a feature map are
# strongly correlated, so dropping them one by one would hardly regularise anything. It is
# meant for 4-D tensors `(N, C, H, W)`. After flattening, the tensor is 2-D, `(N, 64)` after
# `fc1`, and the right tool is plain `nn.Dropout`, which decides for every entry. Applying
# `nn.Dropout2d` to that 2-D tensor, as some published code does, is a mistake: PyTorch warns
# that such inputs are deprecated and will become an error, and it is unclear what "channel"
# should mean there. Like every dropout, both act only in training mode.
#
# ## Predicting
#
# To predict, the network must be in evaluation mode (dropout off), and we want the class with
# the highest score, `argmax` over dimension 1, as int64 labels. A helper that switches a model
# to evaluation mode should put it back the way it found it: the caller may be in the middle
# of training.
#
# ## What to write
#
# 1. `ConvNet()`, the network of the table, with the layers named `cn1`, `cn2`, `fc1` and `fc2`
#    and the two dropout layers held as modules, an `nn.Dropout2d(0.10)` and an
#    `nn.Dropout(0.25)` (their names are yours). `forward` maps `(N, 1, 28, 28)` to `(N, 10)`
#    log-probabilities.
# 2. `flattened_size(features, input_shape)`: the number of values per example that the module
#    `features` outputs for inputs of shape `input_shape`, the shape of **one** example without
#    the batch dimension, e.g. `(1, 28, 28)`. Find it by a dry run on one example of zeros
#    (created on the device and in the dtype of `features`' parameters, if it has any), run
#    under `torch.no_grad()` in evaluation mode; leave `features` in the mode it was in.
#    Return a Python `int`.
# 3. `predict(model, X)`: the predicted labels (int64, shape `(N,)`, on `X`'s device) of
#    `model` for the batch `X`, computed in evaluation mode without autograd; afterwards the
#    model is back in the mode it was in.

# %%
import torch
from torch import nn
from torch.nn import functional as F


# %%
class ConvNet(nn.Module):
    """Conv(1->16) -> ReLU -> Conv(16->32) -> ReLU -> MaxPool 2 -> Dropout2d(0.10) -> flatten ->
    Linear(4608->64) -> ReLU -> Dropout(0.25) -> Linear(64->10) -> log_softmax."""

    def __init__(self) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        # HINT: cn1, cn2 are nn.Conv2d, fc1, fc2 nn.Linear; add an nn.Dropout2d and an nn.Dropout module
        self.cn1 = nn.Conv2d(1, 16, kernel_size=3, stride=1)
        self.cn2 = nn.Conv2d(16, 32, kernel_size=3, stride=1)
        self.dp1 = nn.Dropout2d(0.10)
        self.dp2 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(4608, 64)
        self.fc2 = nn.Linear(64, 10)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        # HINT: follow the table row by row; the channel dropout comes before flattening, the other after fc1's ReLU
        x = F.relu(self.cn1(x))
        x = F.relu(self.cn2(x))
        x = self.dp1(F.max_pool2d(x, 2))
        x = torch.flatten(x, 1)
        x = self.dp2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)
        ### END SOLUTION


# %%
def flattened_size(features: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Values per example that `features` outputs for one input of shape `input_shape` (no batch
    dimension), found by a dry run without autograd in eval mode; the module's mode is restored."""
    ### BEGIN SOLUTION
    # HINT: remember the mode, switch to eval, run torch.zeros((1, *input_shape)) under torch.no_grad(), restore the mode
    param = next(iter(features.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    modes = [(m, m.training) for m in features.modules()]
    features.eval()
    try:
        with torch.no_grad():
            out = features(torch.zeros((1, *input_shape), device=device, dtype=dtype))
    finally:
        for m, mode in modes:
            m.training = mode
    return int(out[0].numel())
    ### END SOLUTION


# %%
def predict(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """int64 labels (N,) = argmax of model(X) over dimension 1, in eval mode and without autograd;
    the model's mode is restored afterwards."""
    ### BEGIN SOLUTION
    # HINT: remember model.training, call model.eval(), compute under torch.no_grad(), take argmax(dim=1), restore the mode
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            scores = model(X)
    finally:
        for m, mode in modes:
            m.training = mode
    return scores.argmax(dim=1)
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The cell below checks the 4608 by a dry run, then trains the network for two epochs on MNIST
# with Adadelta (learning rate 0.5) and batches of 32, and reports the test accuracy (it
# downloads the data set, so run it in Colab or on a machine with internet access).

# %%
if __name__ == "__main__":
    torch.manual_seed(0)
    model = ConvNet()
    convs = nn.Sequential(model.cn1, nn.ReLU(), model.cn2, nn.ReLU(), nn.MaxPool2d(2))
    print("values after the convolutions:", flattened_size(convs, (1, 28, 28)))

    from torchvision import datasets, transforms

    # 0.1302 and 0.3069: mean and standard deviation of MNIST's pixels scaled to [0, 1]
    to_tensor = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1302,), (0.3069,))])
    train_set = datasets.MNIST("data", train=True, download=True, transform=to_tensor)
    test_set = datasets.MNIST("data", train=False, download=True, transform=to_tensor)
    train_iter = torch.utils.data.DataLoader(train_set, batch_size=32, shuffle=True)
    test_iter = torch.utils.data.DataLoader(test_set, batch_size=500)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=0.5)
    for epoch in range(2):
        model.train()
        for X, y in train_iter:
            optimizer.zero_grad()
            F.nll_loss(model(X), y).backward()
            optimizer.step()
        correct = sum(int((predict(model, X) == y).sum()) for X, y in test_iter)
        print(f"epoch {epoch + 1}: test accuracy {correct / len(test_set):.4f}")
