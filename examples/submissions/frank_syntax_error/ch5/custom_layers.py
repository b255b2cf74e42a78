# %% [markdown]
# # Custom layers
#
# Everything in `torch.nn` is built from two ingredients: tensors that the layer *owns* and
# wants to learn, and a `forward` method that says what the layer computes. Once you can write
# those two things yourself, no layer is out of reach: a block that nobody has put into a
# library yet is just another subclass of `nn.Module`.
#
# ## Owning a parameter
#
# A module learns exactly the tensors that are registered as its *parameters*. Wrapping a
# tensor in `nn.Parameter` and assigning it to an attribute in `__init__` does the
# registration: the tensor then shows up in `net.parameters()` (so an optimizer updates it), in
# `net.state_dict()` (so it is saved and loaded), and it moves with `net.to(device)`. It also
# has `requires_grad=True`, so autograd computes its gradient. A plain tensor stored on `self`
# gets none of this: the optimizer never sees it, a checkpoint forgets it, and `.to("cuda")`
# leaves it behind on the CPU.
#
# ## A fully connected layer by hand
#
# A fully connected layer with `in_units` inputs and `units` outputs computes, for a batch
# $X$ of shape $(N, \text{in\_units})$,
#
# $$ Y = X W + b, \qquad W \in \mathbb{R}^{\text{in\_units} \times \text{units}},\quad
#    b \in \mathbb{R}^{\text{units}}, $$
#
# where the bias row $b$ is broadcast over the $N$ rows. Written as `X @ W + b`, the same line
# also works for inputs with more leading dimensions, $(\dots, \text{in\_units})$: the matrix
# product acts on the last dimension and everything before it is carried along. (PyTorch's own
# `nn.Linear` stores the transpose, a weight of shape `(units, in_units)`; ours keeps the
# orientation of the formula.)
#
# How to start $W$? If its entries are drawn from a standard normal distribution, every output
# is a sum of `in_units` products and its variance grows with `in_units`; with 256 inputs the
# outputs would be about 16 times larger than the inputs. Dividing by $\sqrt{\text{in\_units}}$
# brings the variance back to that of one input. For example `torch.randn(256, 4) /
# math.sqrt(256)` gives a 256 x 4 weight whose entries have standard deviation $1/16 = 0.0625$.
# The bias simply starts at zero.
#
# ## Flattening, and why `view` is not enough
#
# Between a convolutional part and a fully connected part a network turns each example of shape
# $(C, H, W)$ into one vector: $(B, C, H, W) \to (B, C \cdot H \cdot W)$. In general, flattening
# from `start_dim` keeps the dimensions before `start_dim` and merges that one and all later
# ones into a single dimension; for a (2, 3, 4, 5) tensor, `start_dim=1` gives (2, 60) and
# `start_dim=2` gives (2, 3, 20). A negative `start_dim` counts from the end, as everywhere in
# PyTorch (`-1` leaves the shape as it is).
#
# The tempting `X.view(X.shape[0], -1)` has a trap. `view` never copies: it only reinterprets
# the same memory with a new shape, which is possible only when the elements lie in memory in
# the order the new shape needs. After a transpose or a permute, for instance
# `X.permute(0, 2, 3, 1)` to go from channels-first to channels-last, they do not, and `view`
# raises an error. `reshape` returns a view when it can and copies when it must, so it works
# on every input. One more corner: a batch can be empty. For a (0, 3, 4) tensor the answer is
# (0, 12), but `-1` cannot be inferred when there are no elements at all, so compute the merged
# size as the product of the trailing sizes instead of asking for `-1`.
#
# ## What to write
#
# 1. `MyLinear(in_units, units)`: a module with two parameters (`nn.Parameter`), a weight of
#    shape `(in_units, units)` drawn as `torch.randn(in_units, units) / sqrt(in_units)` and a
#    bias of shape `(units,)` starting at zeros (call them `weight` and `bias`; the checks find
#    them by their shapes). `forward(X)` returns `X @ weight + bias` for inputs of shape
#    `(..., in_units)`. Write the product yourself: `nn.Linear` and
#    `torch.nn.functional.linear` are not allowed.
# 2. `MyFlatten(start_dim=1)`: a module without parameters whose `forward(X)` returns X's
#    values with the dimensions from `start_dim` on merged into one (negative `start_dim`
#    counts from the end; empty batches work), for contiguous and non-contiguous inputs alike,
#    keeping dtype and device and leaving X unchanged. `torch.flatten`, `Tensor.flatten` and
#    `nn.Flatten` are not allowed.

# %%
import math

import torch
from torch import nn


# %%
class MyLinear(nn.Module):
    """A fully connected layer Y = X @ weight + bias with weight of shape (in_units, units)."""

    def __init__(self, in_units: int, units: int) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        # HINT: two nn.Parameter attributes: a scaled standard-normal weight and a zero bias
        self.weight = nn.Parameter(torch.randn(in_units, units) / math.sqrt(in_units))
        self.bias = nn.Parameter(torch.zeros(units))
        ### END SOLUTION

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        # HINT: a matrix product with the weight, then add the bias (broadcast over the rows)
        return X @ self.weight + self.bias
        ### END SOLUTION


# %%
class MyFlatten(nn.Module):
    """Merge the dimensions from `start_dim` on into one; works on non-contiguous tensors."""

    def __init__(self, start_dim: int = 1) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        # HINT: remember start_dim
        self.start_dim = start_dim
        ### END SOLUTION

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        # HINT: turn a negative start_dim into a positive one, then reshape (not view) to the kept sizes plus their product
        start = self.start_dim + X.dim() if self.start_dim < 0 else self.start_dim
        kept = tuple(X.shape[:start])
        merged = math.prod(X.shape[start:])
        return X.reshape(*kept, merged)
        ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The cell below builds a small network from the two layers, runs it on a channels-last batch
# (a permuted, hence non-contiguous, tensor) and takes one gradient step.

# %%
if __name__ == "__main__":
    layer = MyLinear(256, 4)
    print(layer.weight.shape, float(layer.weight.std()))  # about 1/16 = 0.0625
    images = torch.randn(8, 5, 6, 3).permute(0, 3, 1, 2)  # (B, C, H, W), not contiguous
    print(images.is_contiguous(), MyFlatten()(images).shape)  # False torch.Size([8, 90])
    net = nn.Sequential(MyFlatten(), MyLinear(90, 16), nn.ReLU(), MyLinear(16, 3))
    labels = torch.randint(0, 3, (8,))
    loss = nn.functional.cross_entropy(net(images), labels)
    loss.backward()
    print(loss.item(), [tuple(p.grad.shape) for p in net.parameters()])
