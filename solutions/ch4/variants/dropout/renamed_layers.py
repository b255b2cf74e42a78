"""Wrong, only in naming: the layers are hidden1, hidden2, output instead of lin1, lin2, lin3 (loses the naming checks alone)."""
VERDICT = "wrong"
LOSES_ONLY = ["test_mlp_layer_names"]
# %% [markdown]
# # Dropout from scratch
#
# A network with many parameters can memorise its training set: it fits the noise in the
# examples it has seen and does worse on new ones. One remedy asks the network to be *smooth*:
# a small perturbation of what a layer computes should not change the answer much. Dropout
# (Srivastava, Hinton et al., 2014) turns that wish into a training procedure. On every training
# step, each activation of a hidden layer is switched off at random, so no unit can rely on one
# particular partner being present, and the layer after it learns from a noisy version of its
# input.
#
# ## The rule
#
# Pick a *dropout probability* $p$ with $0 \le p \le 1$. Every activation $x$ is replaced,
# independently of all the others, by
#
# $$
# x' = \begin{cases} 0 & \text{with probability } p, \\
#                    \dfrac{x}{1 - p} & \text{with probability } 1 - p. \end{cases}
# $$
#
# Dividing the survivors by $1 - p$ keeps the expected value where it was:
# $E[x'] = p \cdot 0 + (1 - p) \cdot \frac{x}{1 - p} = x$. The next layer therefore sees, on
# average, the same input during training as at test time, when no unit is dropped.
#
# Two values of $p$ deserve a thought. With $p = 0$ nothing is dropped and the layer is the
# identity. With $p = 1$ everything is dropped: the answer is all zeros, and the formula
# $x / (1 - p)$ must not be evaluated at all, or $0 / 0$ turns into NaN.
#
# A convenient way to draw the decisions is a *mask*: sample $U \sim \text{Uniform}(0, 1)$ for
# every entry and keep the entry where $U > p$, which happens with probability $1 - p$.
#
# ## A worked example
#
# Take the 2 x 8 tensor holding 0, 1, ..., 15. With $p = 0.5$ roughly half of the entries become
# 0 and the others are doubled, so one draw might look like
#
# ```
# [[ 0,  0,  0,  6,  8,  0, 12, 14],
#  [ 0,  0, 20, 22,  0, 26,  0, 30]]
# ```
#
# Every entry is either 0 or twice the original; which ones survive changes from call to call.
#
# ## Dropout in a network
#
# Dropout belongs *after* the activation of a hidden layer, during training only. At test time
# we want the network's best, deterministic answer, so the layer lets everything through
# (PyTorch modules know which mode they are in through `self.training`, switched by
# `.train()` and `.eval()`). It is never applied to the output layer: the scores the loss sees
# should not be zeroed at random.
#
# ## What to write
#
# 1. `dropout_layer(X, dropout_prob)`: the rule above for a tensor of any shape. Keep the input's
#    shape, dtype and device, leave the input itself unchanged, return exact zeros for $p = 1$
#    and the input's values for $p = 0$, and raise `ValueError` when $p$ is outside $[0, 1]$.
#    Build it from random numbers yourself: `torch.nn.functional.dropout` and `nn.Dropout` are
#    not allowed here.
# 2. `DropoutMLP`: a multilayer perceptron with two hidden layers, named `lin1`, `lin2` and
#    `lin3`. It flattens its input to `(N, num_inputs)`, applies ReLU after `lin1` and `lin2`,
#    then your `dropout_layer` with `dropout1` after the first hidden layer and `dropout2` after
#    the second, but only in training mode.

# %%
import torch
from torch import nn


# %%
def dropout_layer(X: torch.Tensor, dropout_prob: float) -> torch.Tensor:
    """Drop each entry of X with probability `dropout_prob`, scale the rest by 1/(1 - dropout_prob).

    Returns a new tensor with X's shape, dtype and device; X itself is not modified.
    Raises ValueError when dropout_prob is not in [0, 1].
    """
    ### BEGIN SOLUTION
    # HINT: check p, handle p == 1 and p == 0, then draw a mask of kept entries with torch.rand
    if not 0.0 <= dropout_prob <= 1.0:
        raise ValueError(f"dropout_prob must be between 0 and 1, got {dropout_prob}")
    if dropout_prob == 1.0:
        # Dividing by 1 - p would give 0/0 = NaN: every entry is dropped anyway.
        return torch.zeros_like(X)
    if dropout_prob == 0.0:
        return X.clone()
    keep = torch.rand(X.shape, device=X.device) > dropout_prob
    # The mask takes X's dtype so that half-precision inputs stay half precision.
    return X * keep.to(X.dtype) / (1.0 - dropout_prob)
    ### END SOLUTION


# %%
class DropoutMLP(nn.Module):
    """Two hidden ReLU layers with dropout after each of them (training mode only)."""

    def __init__(self, num_inputs: int, num_outputs: int, num_hiddens1: int, num_hiddens2: int,
                 dropout1: float, dropout2: float) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        # HINT: store num_inputs and the two probabilities, create lin1, lin2, lin3 as nn.Linear
        self.num_inputs = num_inputs
        self.dropout1 = dropout1
        self.dropout2 = dropout2
        self.hidden1 = nn.Linear(num_inputs, num_hiddens1)
        self.hidden2 = nn.Linear(num_hiddens1, num_hiddens2)
        self.output = nn.Linear(num_hiddens2, num_outputs)
        self.relu = nn.ReLU()
        ### END SOLUTION

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        # HINT: flatten; lin1, ReLU, dropout1 (training only); lin2, ReLU, dropout2 (training only); lin3
        H1 = self.relu(self.hidden1(X.reshape(-1, self.num_inputs)))
        if self.training:
            H1 = dropout_layer(H1, self.dropout1)
        H2 = self.relu(self.hidden2(H1))
        if self.training:
            H2 = dropout_layer(H2, self.dropout2)
        return self.output(H2)
        ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The cell below checks the worked example and then trains the network on Fashion-MNIST with
# $p_1 = 0.2$ and $p_2 = 0.5$ (it downloads the data set, so run it in Colab or on a machine
# with internet access).

# %%
if __name__ == "__main__":
    X = torch.arange(16, dtype=torch.float32).reshape(2, 8)
    print(dropout_layer(X, 0.0))
    print(dropout_layer(X, 0.5))
    print(dropout_layer(X, 1.0))

    import torchvision
    from torch.utils.data import DataLoader
    from torchvision import transforms

    to_tensor = transforms.ToTensor()
    train_set = torchvision.datasets.FashionMNIST("data", train=True, download=True, transform=to_tensor)
    test_set = torchvision.datasets.FashionMNIST("data", train=False, download=True, transform=to_tensor)
    train_iter = DataLoader(train_set, batch_size=256, shuffle=True)
    test_iter = DataLoader(test_set, batch_size=256)

    net = DropoutMLP(784, 10, 256, 256, 0.2, 0.5)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    for epoch in range(10):
        net.train()
        for images, labels in train_iter:
            optimizer.zero_grad()
            loss_fn(net(images), labels).backward()
            optimizer.step()
        net.eval()
        with torch.no_grad():
            correct = sum(int((net(images).argmax(dim=1) == labels).sum()) for images, labels in test_iter)
        print(f"epoch {epoch + 1}: test accuracy {correct / len(test_set):.3f}")
