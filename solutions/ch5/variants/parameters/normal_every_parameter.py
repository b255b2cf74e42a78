"""Wrong: every parameter of the network is drawn from N(0, std^2): biases and batch norm too."""

import torch
from torch import nn

VERDICT = "wrong"


def count_parameters(net, trainable_only=False):
    return sum(p.numel() for p in net.parameters() if p.requires_grad or not trainable_only)

def init_normal_(net, std=0.01):
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0.0, std)
    return net

def init_constant_(net, value):
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.constant_(m.weight, value)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return net

def freeze_all_but(net, name):
    prefix = name + "."
    keep = [p for n, p in net.named_parameters() if n.startswith(prefix)]
    if not keep:
        raise ValueError(f"{name!r} names no submodule with parameters")
    for p in net.parameters():
        p.requires_grad_(False)
    for p in keep:
        p.requires_grad_(True)
    return net

def replace_head(net, name, num_classes):
    old = net.get_submodule(name)
    if not isinstance(old, nn.Linear):
        raise TypeError(f"{name!r} is not an nn.Linear")
    parent_name, _, child_name = name.rpartition(".")
    parent = net.get_submodule(parent_name) if parent_name else net
    setattr(parent, child_name, nn.Linear(old.in_features, num_classes,
                                          device=old.weight.device, dtype=old.weight.dtype))
    return net
