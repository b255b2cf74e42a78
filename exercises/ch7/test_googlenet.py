"""Visible checks for ch7.googlenet: shapes, layer settings and values you can work out by hand."""

import torch
from torch.nn import functional as F

from grader.checks import check, expect

EXERCISE = "ch7.googlenet"

FIRST_BLOCK = (192, 64, (96, 128), (16, 32), 32)
SECOND_BLOCK = (256, 128, (128, 192), (32, 96), 64)
# kernel size, padding, stride each layer of an Inception block must have
LAYERS = {"p1_1": ("Conv2d", 1, 0, 1), "p2_1": ("Conv2d", 1, 0, 1), "p2_2": ("Conv2d", 3, 1, 1),
          "p3_1": ("Conv2d", 1, 0, 1), "p3_2": ("Conv2d", 5, 2, 1), "p4_1": ("MaxPool2d", 3, 1, 1),
          "p4_2": ("Conv2d", 1, 0, 1)}


def _single(value):
    """(3, 3) -> 3, so Conv2d's tuples and MaxPool2d's ints compare alike."""
    if isinstance(value, (tuple, list)) and len(set(value)) == 1:
        return value[0]
    return value


def _inception(student, *args):
    """The student's Inception(*args); lazy layers (nn.LazyConv2d) get their shapes from one
    forward pass of a 4x4 input, run by the grader."""
    return student.Inception(*args, _input_shape=(1, args[0], 4, 4))


PARAMETERS = [f"{layer}.{kind}" for layer in ("p1_1", "p2_1", "p2_2", "p3_1", "p3_2", "p4_2")
              for kind in ("weight", "bias")]


def _by_role(state):
    """The student's parameters under the names p1_1.weight ... p4_2.bias, and the student's own
    names. Submodules named otherwise are matched by position (the order they were created in):
    naming is test_inception_submodules' business, these checks test what the block computes."""
    if sorted(state) == sorted(PARAMETERS) or len(state) != len(PARAMETERS):
        return dict(state), {k: k for k in state}
    names = dict(zip(PARAMETERS, state))
    return {role: state[name] for role, name in names.items()}, names


def _student_names(state, names):
    return {names.get(k, k): v for k, v in state.items()}


@check(points=1, clause="inception_channels_example")
def test_inception_output_shapes(student, device, rng):
    """The first two Inception blocks of GoogLeNet turn 192 channels into 256 and 256 into 480."""
    for args, out_channels in ((FIRST_BLOCK, 256), (SECOND_BLOCK, 480)):
        h = _inception(student, *args)
        h.to(device)
        X = torch.randn(2, args[0], 4, 5, generator=rng).to(device)
        expect.shape(h(X), (2, out_channels, 4, 5), what=f"Inception{args} output")


@check(points=1, clause="inception_names")
def test_inception_submodules(student):
    """Inception has p1_1 ... p4_2 with the right kernel sizes, paddings and strides."""
    h = _inception(student, *FIRST_BLOCK)
    found = {e["name"]: e for e in h.modules()}
    for name, (kind, kernel, padding, stride) in LAYERS.items():
        expect.true(name in found, f"Inception has no submodule named {name!r}")
        e = found[name]
        got_padding = e.get("padding")
        if got_padding in ("same", "valid"):  # equivalent spellings for these stride-1 layers
            got_padding = (kernel - 1) // 2 if got_padding == "same" else 0
        got = (e["type"], _single(e.get("kernel_size")), _single(got_padding), _single(e.get("stride")))
        expect.true(got == (kind, kernel, padding, stride),
                    f"Inception.{name} should be {kind} with kernel_size={kernel}, padding={padding}, "
                    f"stride={stride}; got {got[0]} with kernel_size={got[1]}, padding={got[2]}, stride={got[3]}")
    in_out = {n: (found[n]["in_channels"], found[n]["out_channels"]) for n in LAYERS if n != "p4_1"}
    expected = {"p1_1": (192, 64), "p2_1": (192, 96), "p2_2": (96, 128), "p3_1": (192, 16),
                "p3_2": (16, 32), "p4_2": (192, 32)}
    expect.true(in_out == expected, f"Inception{FIRST_BLOCK}: channels (in, out) per layer are {in_out}, "
                                    f"expected {expected}")


@check(points=2, clause="inception_paths_example")
def test_inception_path_order_and_relus(student, device):
    """With zero weights each path outputs ReLU of its last bias: paths in order 1, 2, 3, 4, ReLU everywhere."""
    args = (3, 2, (2, 3), (2, 4), 5)
    h = _inception(student, *args)
    state = {k: torch.zeros_like(v) for k, v in h.state_dict().items()}
    state, names = _by_role(state)
    # Path 2's first layer outputs -1 everywhere; with the ReLU in between path 2 sees only zeros
    # and outputs its bias 2.0. Without it, the 3x3 convolution of all-ones weights sums the -1s.
    state["p2_1.bias"] = torch.full((2,), -1.0)
    state["p2_2.weight"] = torch.ones(3, 2, 3, 3)
    for name, value in (("p1_1", 1.0), ("p2_2", 2.0), ("p3_2", 3.0), ("p4_2", 4.0)):
        state[f"{name}.bias"] = torch.full_like(state[f"{name}.bias"], value)
    h.load_state_dict(_student_names(state, names))
    h.to(device)
    X = torch.randn(1, 3, 4, 6, device=device)
    levels = torch.tensor([1.0] * 2 + [2.0] * 3 + [3.0] * 4 + [4.0] * 5, device=device)
    Y = expect.tensor(h(X), what="Inception(3, 2, (2, 3), (2, 4), 5) output")
    expect.shape(Y, (1, 14, 4, 6), what="Inception(3, 2, (2, 3), (2, 4), 5) output")
    # One pixel's 14 channels first: the feedback then shows which path landed where.
    expect.close(Y[0, :, 1, 2], levels, what="the 14 channels at one pixel (expected 1,1, 2,2,2, 3,3,3,3, 4,4,4,4,4)")
    expect.close(Y, levels.view(1, 14, 1, 1).expand(1, 14, 4, 6),
                 what="Inception output with zero weights and biases 1, 2, 3, 4 on the four paths")

    # Negative biases on every last layer: the final ReLUs turn all outputs into zeros.
    for name in ("p1_1", "p2_2", "p3_2", "p4_2"):
        state[f"{name}.bias"] = -state[f"{name}.bias"]
    h.load_state_dict(_student_names(state, names))
    expect.close(h(X), torch.zeros(1, 14, 4, 6, device=device),
                 what="Inception output with zero weights and negative biases (ReLU after each path)")


@check(points=1, clause="inception_pool_path_example")
def test_inception_max_pool_path(student, device):
    """Path 4 is a 3x3 max-pool (stride 1, padding 1) followed by a 1x1 convolution."""
    h = _inception(student, 2, 1, (1, 1), (1, 1), 1)
    state = {k: torch.zeros_like(v) for k, v in h.state_dict().items()}
    state, names = _by_role(state)
    state["p4_2.weight"] = torch.tensor([1.0, 10.0]).view(1, 2, 1, 1)   # 1 * channel 0 + 10 * channel 1
    h.load_state_dict(_student_names(state, names))
    h.to(device)
    X = torch.arange(2 * 5 * 5, dtype=torch.float32, device=device).view(1, 2, 5, 5).flip(-1) / 10
    pooled = F.max_pool2d(X, kernel_size=3, stride=1, padding=1)
    expected = pooled[:, :1] + 10 * pooled[:, 1:]
    Y = expect.tensor(h(X), what="Inception(2, 1, (1, 1), (1, 1), 1) output")
    expect.shape(Y, (1, 4, 5, 5), what="Inception(2, 1, (1, 1), (1, 1), 1) output")
    expect.close(Y[:, 3:], expected, what="path 4 of Inception (max-pool, then 1x1 convolution)")


def _googlenet(student, device, *args):
    """googlenet(*args) built on PyTorch's "meta" device (shapes only, no 24 MB of weights to
    initialise), then given real, deterministic weights on `device` by the grader's
    fill_parameters probe: the checks then run it on small inputs in milliseconds."""
    h = student.googlenet(*args, _device="meta", _input_shape=(1, args[0] if args else 1, 32, 64))
    student.probe("fill_parameters", module=h, seed=0, device=str(device))
    h.eval()
    return h


@check(points=2, clause="stage_shapes_example")
def test_googlenet_stage_shapes(student, device):
    """googlenet() stages give 64x8x16, 192x4x8, 480x2x4, 832x1x2, 1024 and 10 for one 32x64 image (96x96: the table's)."""
    h = _googlenet(student, device)
    try:   # nn.Sequential(b1, ..., Linear) names its parts "0" ... "5"
        stages = [str(i) for i in range(6)]
        h.child("5")
    except Exception:  # noqa: BLE001 - parts with other names: read them from the module list
        stages = [e["name"] for e in h.modules() if e["name"] and "." not in e["name"]]
    expect.true(len(stages) == 6, f"googlenet() should be nn.Sequential(b1, b2, b3, b4, b5, Linear): "
                                  f"6 parts, found {len(stages)} ({stages})")
    X = torch.rand(1, 1, 32, 64, device=device)
    shapes = [(1, 64, 8, 16), (1, 192, 4, 8), (1, 480, 2, 4), (1, 832, 1, 2), (1, 1024), (1, 10)]
    for i, (name, shape) in enumerate(zip(stages, shapes)):
        X = expect.tensor(h.child(name)(X), what=f"output of part {i} ({name!r})")
        expect.shape(X, shape, what=f"output of part {i} ({name!r}) of googlenet()")


@check(points=2, clause="sizes_example")
def test_googlenet_sizes(student):
    """googlenet() has 5,977,530 parameters; googlenet(in_channels=3, num_classes=7) has 5,980,727."""
    expect.equal(student.googlenet(_device="meta", _input_shape=(1, 1, 32, 64)).num_params(), 5_977_530,
                 what="trainable parameters of googlenet()")
    # 3 input channels add 2 * 64 * 7 * 7 weights, 7 classes remove 3 * (1024 + 1)
    expect.equal(student.googlenet(in_channels=3, num_classes=7, _device="meta",
                                   _input_shape=(1, 3, 32, 64)).num_params(), 5_980_727,
                 what="trainable parameters of googlenet(in_channels=3, num_classes=7)")
