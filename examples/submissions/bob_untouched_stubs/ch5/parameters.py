# %% [markdown]
# # Parameters: counting, initialising, freezing, replacing
#
# A network's parameters are the tensors the optimizer changes. `nn.Module` keeps track of them
# for us: `net.parameters()` walks through every submodule and yields each parameter, and
# `net.named_parameters()` gives the same with a dotted name such as `features.0.weight` or
# `fc.bias` that says where it lives. This exercise uses that bookkeeping for four everyday jobs:
# counting what a model learns, choosing where training starts, deciding what training may
# change, and swapping the last layer for a new task.
#
# ## Counting, and shared parameters
#
# A `Linear(in, out)` layer holds `in * out + out` numbers, a `Conv2d(c_in, c_out, k)` holds
# `c_out * c_in * k * k + c_out`. Summing `p.numel()` over `net.parameters()` gives the total,
# and restricting the sum to parameters with `p.requires_grad` gives the number training will
# change. One case needs care: the *same* layer can appear twice in a network (applied twice in
# `forward`), or two layers can share one weight tensor ("tied" weights). Such a tensor is
# learned once, so it must be counted once. `net.parameters()` already skips repeats, but
# `net.state_dict()` lists a shared tensor under each of its names, and it also holds *buffers*
# such as a batch norm's running mean, which are saved but never learned. Counting the state dict
# is therefore wrong twice over.
#
# ## Initialising
#
# Where training starts matters. A common choice draws every weight of the fully connected and
# convolutional layers from a normal distribution with mean 0 and a small standard deviation,
# for instance 0.01, and sets every bias to 0. With `torch.nn.init` this reads
# `nn.init.normal_(m.weight, mean=0.0, std=0.01)` and `nn.init.zeros_(m.bias)`; written on the
# tensor itself, `m.weight.data.normal_(0, 0.01)` and `m.bias.data.fill_(0)`. Mind the order of
# the arguments: `nn.init.normal_(w, 0.01)` passes 0.01 as the *mean* and keeps a standard
# deviation of 1. Other layers, batch norm for one, have parameters that mean something else
# (a scale that should start at 1) and are left alone. To find the layers, walk through
# `net.modules()` and ask `isinstance(m, (nn.Linear, nn.Conv2d))`: unlike comparing
# `type(m) == nn.Linear`, this also finds layers of a subclass. A constant initialisation, such as
# `nn.init.constant_(m.weight, 0.3)`, works the same way; it is a good way to see why random
# starts are needed (every unit of a layer then computes the same thing and gets the same
# gradient), but it is handy for tests. The `_` at the end of a name is PyTorch's convention for
# "changes its argument in place". Initialising is not something autograd should record, so it
# happens under `torch.no_grad()` (the `nn.init` functions do that themselves).
#
# ## Freezing and replacing the head
#
# When a network trained on one data set is reused for another (fine-tuning), one often keeps
# everything it learned and trains only the last layer, the *head*. A parameter with
# `requires_grad = False` gets no gradient, so the optimizer leaves it as it is. The attribute
# name must be spelled exactly: `p.required_grad = False` only creates a new, meaningless
# attribute on the tensor and freezes nothing, without any error. Choosing which parameters stay
# trainable by a substring test, `"fc" in name`, is another trap: it also matches `fc1` and
# `fc_hidden`. Compare with the layer's name followed by a dot instead.
#
# The new task usually has another number of classes, so the head is replaced. For a network
# whose penultimate layer gives 512 features (resnet-18's `fc`), the new head for ten classes is
# `nn.Linear(512, 10)`; for one whose features are 4 * 4 * 1024, it is
# `nn.Linear(4 * 4 * 1024, 100)` for CIFAR-100. Read the number of inputs from the old layer's
# `in_features` instead of hard-coding it, and create the new layer where the old one was (same
# device and dtype). A freshly made layer is trainable, even if the rest of the network is frozen.
#
# ## What to write
#
# Names such as `"fc"` or `"features.3"` are paths as `named_modules()` gives them.
#
# 1. `count_parameters(net, trainable_only=False) -> int`: the number of parameter entries of
#    `net`, each parameter tensor counted once however often it is shared; with
#    `trainable_only=True` only those with `requires_grad`. Buffers do not count.
# 2. `init_normal_(net, std=0.01)`: every `nn.Linear` and `nn.Conv2d` (subclasses included) gets
#    weights drawn from N(0, std^2) and a zero bias (when it has one); other modules are left as
#    they were. Returns `net`.
# 3. `init_constant_(net, value)`: the same layers get all weights equal to `value` and zero
#    biases. Returns `net`.
# 4. `freeze_all_but(net, name)`: the parameters of the submodule `name` (those named `name.…`)
#    end up trainable, every other parameter gets `requires_grad = False`. Raises `ValueError`
#    when `name` holds no parameter of `net`. Returns `net`.
# 5. `replace_head(net, name, num_classes)`: the `nn.Linear` at `name` is replaced by a new,
#    trainable `nn.Linear(old.in_features, num_classes)` on the old layer's device and dtype;
#    nothing else changes. Raises `TypeError` when the module at `name` is not an `nn.Linear`.
#    Returns `net`.

# %%
import torch
from torch import nn


# %%
def count_parameters(net: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameter entries of net, shared tensors counted once (trainable ones only if asked)."""
    raise NotImplementedError("net.parameters() yields every parameter once; add up numel(), skipping frozen ones when asked")


# %%
def init_normal_(net: nn.Module, std: float = 0.01) -> nn.Module:
    """Linear and Conv2d weights ~ N(0, std^2), their biases 0; other modules untouched."""
    raise NotImplementedError("loop over net.modules(), keep those that are instances of nn.Linear or nn.Conv2d; mind normal_'s argument order")


# %%
def init_constant_(net: nn.Module, value: float) -> nn.Module:
    """Linear and Conv2d weights all equal to value, their biases 0; other modules untouched."""
    raise NotImplementedError("the same loop as init_normal_, with nn.init.constant_")


# %%
def freeze_all_but(net: nn.Module, name: str) -> nn.Module:
    """Only the parameters of submodule `name` stay trainable; ValueError if it has none."""
    raise NotImplementedError("a parameter belongs to `name` when its dotted name starts with name + \".\"; set requires_grad on every parameter")


# %%
def replace_head(net: nn.Module, name: str, num_classes: int) -> nn.Module:
    """Replace the nn.Linear at `name` by a new trainable Linear(old.in_features, num_classes)."""
    raise NotImplementedError("get_submodule(name), check it is an nn.Linear, build the new layer like it, then setattr on its parent")


# %% [markdown]
# ## Try it
#
# A small convolutional network: count it, initialise it, then prepare it for fine-tuning on a
# task with five classes and check that one optimizer step changes the head only.

# %%
if __name__ == "__main__":
    net = nn.Sequential()
    net.add_module("features", nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)))
    net.add_module("flatten", nn.Flatten())
    net.add_module("fc", nn.Linear(8 * 4 * 4, 10))
    print(count_parameters(net))                      # 80 + 1290 = 1370
    init_normal_(net, std=0.01)
    print(float(net.fc.weight.detach().std()), float(net.fc.bias.detach().abs().max()))  # about 0.01, 0.0
    freeze_all_but(net, "fc")
    replace_head(net, "fc", 5)
    print(count_parameters(net, trainable_only=True))  # 128 * 5 + 5 = 645
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = nn.functional.cross_entropy(net(torch.randn(4, 1, 8, 8)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    optimizer.step()
    print({n: not torch.equal(before[n], p) for n, p in net.named_parameters()})
