"""Wrong: the new head takes old.out_features as its number of inputs."""

import torch
from torch import nn

VERDICT = "wrong"


def count_parameters(net, trainable_only=False):
    return sum(p.numel() for p in net.parameters() if p.requires_grad or not trainable_only)

def init_normal_(net, std=0.01):
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.normal_(m.weight, mean=0.0, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
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
    setattr(parent, child_name, nn.Linear(old.out_features, num_classes))
    return net
