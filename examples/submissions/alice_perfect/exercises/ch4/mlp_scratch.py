# %% [markdown]
# # A multilayer perceptron from scratch
#
# Softmax regression maps an image straight to ten scores with one affine map. A *multilayer
# perceptron* puts a hidden layer in between: the input $\mathbf{x}$ (a row of $d$ numbers) is
# first mapped to $h$ hidden units, each unit passes through a non-linear *activation*, and only
# then a second affine map produces the $q$ outputs. For a whole minibatch $\mathbf{X}$ of shape
# $(n, d)$ the network computes
#
# $$
# \mathbf{H} = \operatorname{ReLU}(\mathbf{X}\mathbf{W}_1 + \mathbf{b}_1), \qquad
# \mathbf{O} = \mathbf{H}\mathbf{W}_2 + \mathbf{b}_2,
# $$
#
# with $\mathbf{W}_1$ of shape $(d, h)$, $\mathbf{b}_1$ of shape $(h,)$, $\mathbf{W}_2$ of
# shape $(h, q)$ and $\mathbf{b}_2$ of shape $(q,)$. The biases are added to every row by
# broadcasting. Here the weights are stored as (inputs, outputs), so the product is $XW$; PyTorch's
# `nn.Linear` stores them the other way round and computes $XW^\top$.
#
# ## Why the activation is not optional
#
# Leave out the ReLU and the two layers fold into one. Substituting the first layer into the
# second gives
#
# $$
# (\mathbf{X}\mathbf{W}_1 + \mathbf{b}_1)\mathbf{W}_2 + \mathbf{b}_2
#   = \mathbf{X}\,(\mathbf{W}_1\mathbf{W}_2) + (\mathbf{b}_1\mathbf{W}_2 + \mathbf{b}_2),
# $$
#
# a single affine map with weight $\mathbf{W} = \mathbf{W}_1\mathbf{W}_2$ of shape $(d, q)$ and
# bias $\mathbf{b} = \mathbf{b}_1\mathbf{W}_2 + \mathbf{b}_2$ of shape $(q,)$. However many
# linear layers are stacked, the model can express nothing a single linear layer could not; the
# extra layers only cost time. The activation, applied entry by entry between the layers, is what
# breaks the fold.
#
# A small example with $d = 2$, $h = 2$, $q = 1$:
#
# $$
# \mathbf{W}_1 = \begin{pmatrix} 1 & 0 \\ 2 & 1 \end{pmatrix},\;
# \mathbf{b}_1 = (1, -1),\;
# \mathbf{W}_2 = \begin{pmatrix} 1 \\ 2 \end{pmatrix},\;
# \mathbf{b}_2 = (0.5)
# \quad\Longrightarrow\quad
# \mathbf{W} = \begin{pmatrix} 1 \\ 4 \end{pmatrix},\; \mathbf{b} = (-0.5).
# $$
#
# For $\mathbf{x} = (1, -2)$ the linear stack gives $1 - 8 - 0.5 = -7.5$ both ways. With the ReLU
# the hidden pre-activations $(-2, -3)$ are both switched off and the network answers $0.5$,
# the output bias alone: something no fold can reproduce.
#
# ## ReLU
#
# The rectified linear unit keeps positive numbers and replaces negative ones by zero,
# $\operatorname{ReLU}(x) = \max(x, 0)$. Written with tensors that is an element-wise maximum
# against a tensor of zeros of the same shape, dtype and device. It must return a *new* tensor:
# clipping the input in place would destroy the pre-activations that backpropagation needs later.
#
# ## Initialisation
#
# The weights start as small random numbers, `torch.randn(...) * sigma` with `sigma = 0.01`,
# so that different hidden units start different (if all weights were equal, every unit would
# compute the same thing and receive the same gradient forever). The biases start at zero. Each
# of the four tensors is wrapped in `nn.Parameter`, which registers it with the module:
# `parameters()` hands it to the optimiser and `state_dict()` lists it under its attribute name.
#
# The network works on images too: an input of shape $(n, 1, 28, 28)$ is first reshaped to
# $(n, 784)$, i.e. `X.reshape(-1, num_inputs)`.
#
# ## What to write
#
# 1. `relu(X)`: $\max(X, 0)$ entry by entry for a float tensor of any shape, as a new tensor with
#    X's shape, dtype and device; X itself stays unchanged. The built-ins `torch.relu`, `F.relu`,
#    `clamp`, `clip`, `threshold` and `hardtanh` are not allowed here.
# 2. `MLPScratch(num_inputs, num_hiddens, num_outputs, sigma=0.01)`, an `nn.Module` (mind the
#    order of the arguments: inputs, hidden units, outputs). It holds four `nn.Parameter`s named
#    `W1` $(d, h)$, `b1` $(h,)$, `W2` $(h, q)$, `b2` $(q,)$: weights drawn from
#    $\mathcal{N}(0, \sigma^2)$, biases zero. `forward(X)` flattens X to $(-1, d)$ (so a
#    single example of shape $(d,)$ becomes one row) and returns
#    $\operatorname{relu}(XW_1 + b_1)W_2 + b_2$ using your `relu`, without `nn.Linear` or
#    `F.linear`.
# 3. `collapse_linear(W1, b1, W2, b2)`: the pair `(W, b)` of the single affine map that the two
#    layers amount to without an activation, $W = W_1W_2$ and $b = b_1W_2 + b_2$, with shapes
#    $(d, q)$ and $(q,)$. The inputs stay unchanged.

# %%
import torch
from torch import nn


# %%
def relu(X: torch.Tensor) -> torch.Tensor:
    """max(X, 0) entry by entry, as a new tensor with X's shape, dtype and device."""
    ### BEGIN SOLUTION
    # HINT: an element-wise maximum (torch.maximum) against zeros shaped like X
    return torch.maximum(X, torch.zeros_like(X))
    ### END SOLUTION


# %%
class MLPScratch(nn.Module):
    """One hidden ReLU layer with hand-made parameters W1 (d, h), b1 (h), W2 (h, q), b2 (q)."""

    def __init__(self, num_inputs: int, num_hiddens: int, num_outputs: int, sigma: float = 0.01) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        # HINT: store num_inputs; wrap randn(...) * sigma and zeros(...) of the four shapes in nn.Parameter
        self.num_inputs = num_inputs
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.b1 = nn.Parameter(torch.zeros(num_hiddens))
        self.W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs) * sigma)
        self.b2 = nn.Parameter(torch.zeros(num_outputs))
        ### END SOLUTION

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        # HINT: flatten to (-1, num_inputs), then the hidden layer with your relu, then the output layer
        X = X.reshape(-1, self.num_inputs)
        H = relu(X @ self.W1 + self.b1)
        return H @ self.W2 + self.b2
        ### END SOLUTION


# %%
def collapse_linear(W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor,
                    b2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The (W, b) with X @ W + b == (X @ W1 + b1) @ W2 + b2 for every X."""
    ### BEGIN SOLUTION
    # HINT: substitute the first layer into the second and collect the terms with X and without X
    return W1 @ W2, b1 @ W2 + b2
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The cell below checks the worked example and then trains the network on Fashion-MNIST with 256
# hidden units (it downloads the data set, so run it in Colab or on a machine with internet
# access).

# %%
if __name__ == "__main__":
    W1 = torch.tensor([[1.0, 0.0], [2.0, 1.0]])
    b1 = torch.tensor([1.0, -1.0])
    W2 = torch.tensor([[1.0], [2.0]])
    b2 = torch.tensor([0.5])
    W, b = collapse_linear(W1, b1, W2, b2)
    x = torch.tensor([[1.0, -2.0]])
    print("collapsed:", W.tolist(), b.tolist(), "->", (x @ W + b).tolist())
    print("with ReLU:", (relu(x @ W1 + b1) @ W2 + b2).tolist())

    import torchvision
    from torch.utils.data import DataLoader
    from torchvision import transforms

    to_tensor = transforms.ToTensor()
    train_set = torchvision.datasets.FashionMNIST("data", train=True, download=True, transform=to_tensor)
    test_set = torchvision.datasets.FashionMNIST("data", train=False, download=True, transform=to_tensor)
    train_iter = DataLoader(train_set, batch_size=256, shuffle=True)
    test_iter = DataLoader(test_set, batch_size=256)

    net = MLPScratch(784, 256, 10)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    for epoch in range(10):
        for images, labels in train_iter:
            optimizer.zero_grad()
            loss_fn(net(images), labels).backward()
            optimizer.step()
        with torch.no_grad():
            correct = sum(int((net(images).argmax(dim=1) == labels).sum()) for images, labels in test_iter)
        print(f"epoch {epoch + 1}: test accuracy {correct / len(test_set):.3f}")
