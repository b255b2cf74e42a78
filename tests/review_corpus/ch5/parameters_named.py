# source: github.com/JieShenAI/net torch_keys/readme.md lines 15-28 (rewritten for ch5.parameters)
# exercise: ch5.parameters
import torch
from torch import nn


def count_parameters(net, trainable_only=False):
    return sum(p.numel() for p in net.parameters() if p.requires_grad or not trainable_only)


def init_normal_(net, std=0.01):
    def init(m):
        if type(m) == nn.Linear:
            nn.init.normal_(m.weight, mean=0, std=std)
            nn.init.zeros_(m.bias)
    net.apply(init)
    return net


def init_constant_(net, value):
    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, value)
            nn.init.zeros_(m.bias)
    net.apply(init)
    return net


def freeze_all_but(net, name):
    for pname, param in net.named_parameters():
        param.requires_grad = pname == name or pname.startswith(name + ".")
    return net


def replace_head(net, name, num_classes):
    *path, last = name.split(".")
    parent = net
    for part in path:
        parent = parent[int(part)] if part.isdigit() else getattr(parent, part)
    old = parent[int(last)] if last.isdigit() else getattr(parent, last)
    if not isinstance(old, nn.Linear):
        raise TypeError("not a Linear layer")
    new = nn.Linear(old.in_features, num_classes)
    if last.isdigit():
        parent[int(last)] = new
    else:
        setattr(parent, last, new)
    return net


if __name__ == "__main__":
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    print(*[(name, param.shape) for name, param in net.named_parameters()])
    print(net[2].state_dict())
    net[0].weight.data[:] += 1
    net[0].weight.data[0, 0] = 42
