"""Correct: counts over a dict of ids, freezes by comparing names in named_parameters, replaces through named_modules and the parent's _modules."""

import torch
from torch import nn

VERDICT = "correct"


def count_parameters(net, trainable_only=False):
    params = {id(p): p for p in net.parameters()}
    return sum(p.numel() for p in params.values() if p.requires_grad or not trainable_only)

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
    hits = 0
    for n, p in net.named_parameters():
        mine = n.rsplit(".", 1)[0] == name or n.startswith(name + ".")
        p.requires_grad_(mine)
        hits += mine
    if hits == 0:
        raise ValueError(name)
    return net

def replace_head(net, name, num_classes):
    modules = dict(net.named_modules())
    old = modules[name]
    if not isinstance(old, nn.Linear):
        raise TypeError(type(old).__name__)
    parent = modules[name.rpartition(".")[0]]
    new = nn.Linear(old.in_features, num_classes)
    new.to(device=old.weight.device, dtype=old.weight.dtype)
    parent._modules[name.rpartition(".")[2]] = new
    return net
