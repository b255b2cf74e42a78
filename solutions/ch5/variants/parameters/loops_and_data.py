"""Correct: counts by parameter identity, initialises through .data, freezes via get_submodule, replaces via the parent's add_module."""

import torch
from torch import nn

VERDICT = "correct"


def count_parameters(net, trainable_only=False):
    seen = {}
    for m in net.modules():
        for p in m.parameters(recurse=False):
            if trainable_only and not p.requires_grad:
                continue
            seen[id(p)] = p.numel()
    return int(sum(seen.values()))

def init_normal_(net, std=0.01):
    for m in net.modules():
        if isinstance(m, nn.Linear) or isinstance(m, nn.Conv2d):
            m.weight.data.normal_(0, std)
            if m.bias is not None:
                m.bias.data.fill_(0)
    return net

def init_constant_(net, value):
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            m.weight.data.fill_(value)
            if m.bias is not None:
                m.bias.data.zero_()
    return net

def freeze_all_but(net, name):
    try:
        target = net.get_submodule(name)
    except AttributeError:
        raise ValueError(f"no submodule {name!r}") from None
    keep = list(target.parameters())
    if not keep:
        raise ValueError(f"{name!r} has no parameters")
    for p in net.parameters():
        p.requires_grad = False
    for p in keep:
        p.requires_grad = True
    return net

def replace_head(net, name, num_classes):
    *path, last = name.split(".")
    parent = net
    for part in path:
        parent = getattr(parent, part)
    old = getattr(parent, last)
    if not isinstance(old, nn.Linear):
        raise TypeError("the head must be an nn.Linear")
    parent.add_module(last, nn.Linear(old.in_features, num_classes).to(old.weight))
    return net
