"""Visible checks for ch7.alexnet: the sizes of the table.

The network is built on PyTorch's "meta" device (`_device="meta"`): its 46.8 million parameters
get shapes but no memory, and a forward pass on a meta tensor computes only the output shapes,
so these checks take milliseconds.
"""

import torch

from grader.checks import check, expect

EXERCISE = "ch7.alexnet"

# output shape after each layer of the table for one 1x224x224 image
SHAPES = [(1, 96, 54, 54), (1, 96, 54, 54), (1, 96, 26, 26),
          (1, 256, 26, 26), (1, 256, 26, 26), (1, 256, 12, 12),
          (1, 384, 12, 12), (1, 384, 12, 12), (1, 384, 12, 12), (1, 384, 12, 12),
          (1, 256, 12, 12), (1, 256, 12, 12), (1, 256, 5, 5), (1, 6400),
          (1, 4096), (1, 4096), (1, 4096), (1, 4096), (1, 4096), (1, 4096), (1, 10)]


def _meta_image(n=1, channels=1):
    return torch.empty(n, channels, 224, 224, device="meta")


@check(points=2, clause="stage_shapes")
def test_layer_by_layer_shapes(student):
    """The first convolution gives [1, 96, 54, 54]; layer after layer the shapes follow the table down to 6400 and 10."""
    h = student.alexnet(_device="meta")
    parts = [e["name"] for e in h.modules() if e["name"] and "." not in e["name"]]
    expect.true(len(parts) == len(SHAPES), f"alexnet() should hold {len(SHAPES)} layers directly "
                f"(ReLUs, pools, Flatten and Dropouts included), found {len(parts)}")
    X = _meta_image()
    for i, (name, shape) in enumerate(zip(parts, SHAPES)):
        X = expect.tensor(h.child(name)(X), what=f"output of layer {i}")
        expect.shape(X, shape, what=f"output of layer {i} ({name!r})")


@check(points=1, clause="parameter_count")
def test_parameter_count(student):
    """alexnet() has 46,764,746 trainable parameters (3,723,968 in the convolutions)."""
    h = student.alexnet(_device="meta")
    h(_meta_image())
    expect.equal(h.num_params(), 46_764_746, what="trainable parameters of alexnet()")


@check(points=1, clause="dropout")
def test_dropout(student):
    """Two Dropout layers with p = 0.5, both in the classifier."""
    h = student.alexnet(_device="meta")
    drops = [e for e in h.modules() if e["type"] == "Dropout"]
    expect.true(len(drops) == 2 and all(abs(e.get("p", 0) - 0.5) < 1e-9 for e in drops),
                f"expected two nn.Dropout(0.5) layers, found {[(e['name'], e.get('p')) for e in drops]}")


@check(points=1, clause="in_channels_classes")
def test_in_channels_and_classes(student):
    """alexnet(in_channels=3, num_classes=7) maps (2, 3, 224, 224) to (2, 7)."""
    h = student.alexnet(in_channels=3, num_classes=7, _device="meta")
    expect.shape(h(_meta_image(2, 3)), (2, 7), what="alexnet(3, 7) output for two RGB images")
