# source: github.com/Kidr1cE/kaggle-CIFAR-10 train.py lines 5-9 (rewritten for ch5.parameters)
# exercise: ch5.parameters
import torch.nn as nn


def count_parameters(net, trainable_only=False):
    total = 0
    for p in net.parameters():
        if trainable_only and not p.requires_grad:
            continue
        total += p.numel()
    return total


def init_normal_(net, std=0.01):
    for m in net.modules():
        classname = m.__class__.__name__
        if classname.find('Linear') != -1:
            m.weight.data.normal_(0.0, std)
            m.bias.data.fill_(0)
    return net


def init_constant_(net, value):
    for m in net.modules():
        if isinstance(m, nn.Linear):
            m.weight.data.fill_(value)
            m.bias.data.zero_()
    return net


def freeze_all_but(net, name):
    for full_name, p in net.named_parameters():
        p.requires_grad_(full_name.split(".")[0] == name or full_name.startswith(name + "."))
    return net


def replace_head(net, name, num_classes):
    old = net.get_submodule(name)
    parent_name, _, child = name.rpartition(".")
    parent = net.get_submodule(parent_name) if parent_name else net
    parent.add_module(child, nn.Linear(old.in_features, num_classes))
    return net
