"""Wrong: init_constant_ changes the network in place but forgets to return it (the contract returns net)."""

import torch
from torch import nn

VERDICT = "wrong"
LOSES_ONLY = ["test_functions_return_net"]


def count_parameters(net: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameter entries of net, shared tensors counted once (trainable ones only if asked)."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad or not trainable_only)


def init_normal_(net: nn.Module, std: float = 0.01) -> nn.Module:
    """Linear and Conv2d weights ~ N(0, std^2), their biases 0; other modules untouched."""
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.normal_(m.weight, mean=0.0, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return net


def init_constant_(net: nn.Module, value: float) -> nn.Module:
    """Linear and Conv2d weights all equal to value, their biases 0; other modules untouched."""
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.constant_(m.weight, value)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def freeze_all_but(net: nn.Module, name: str) -> nn.Module:
    """Only the parameters of submodule `name` stay trainable; ValueError if it has none."""
    prefix = name + "."
    keep = [p for n, p in net.named_parameters() if n.startswith(prefix)]
    if not keep:
        raise ValueError(f"{name!r} names no submodule with parameters")
    for p in net.parameters():
        p.requires_grad_(False)
    for p in keep:
        p.requires_grad_(True)
    return net


def replace_head(net: nn.Module, name: str, num_classes: int) -> nn.Module:
    """Replace the nn.Linear at `name` by a new trainable Linear(old.in_features, num_classes)."""
    old = net.get_submodule(name)
    if not isinstance(old, nn.Linear):
        raise TypeError(f"{name!r} is a {type(old).__name__}, not an nn.Linear")
    parent_name, _, child_name = name.rpartition(".")
    parent = net.get_submodule(parent_name) if parent_name else net
    new = nn.Linear(old.in_features, num_classes, device=old.weight.device, dtype=old.weight.dtype)
    setattr(parent, child_name, new)
    return net
