"""Hidden checks for ch5.blocks.

The layers a check hands to MySequential / FeaturesClassifier are `build` specs: the worker
builds them next to the student's code and the judge builds the very same layers (same seed)
for the expected output, so nothing but plain data crosses the boundary. The judge builds them
directly (one BuildContext, so a label given twice is one shared layer, as in the worker)
rather than through reference_call, which would cost a codec round trip per check.
"""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect
from grader.checks.specs import BuildContext

EXERCISE = "ch5.blocks"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "seq_example": "MySequential(Linear, ReLU, Linear) computes lin2(relu(lin1(X)))",
    "seq_any_stack": "MySequential applies any modules in order, each to the previous one's output (a conv stack)",
    "seq_names": "MySequential registers its modules as children named \"0\", \"1\", ... in order, layers "
                 "without parameters included",
    "seq_parameters": "MySequential's parameters are its modules' (state_dict, parameter count)",
    "seq_to": ".to(device) reaches every module of MySequential",
    "seq_index_example": "len(net) counts the modules; net[1] and net[-1] are the second and the last",
    "seq_index_any": "net[i] is the i-th module for every i in range, from the front (0 too) and from the back",
    "seq_index_error": "net[i] raises IndexError when i is out of range, either way",
    "seq_no_containers": "MySequential neither subclasses nor holds nn.Sequential, nn.ModuleList or nn.ModuleDict",
    "seq_repeated": "a module given twice is applied twice and counted twice",
    "seq_empty": "MySequential() with no modules returns its input and has length 0",
    "fc_example": "FeaturesClassifier keeps the batch dimension: (N, 10) for N = 1 and N = 8 images",
    "fc_forward": "FeaturesClassifier computes classifier(flatten(features(X))) on a batch of images",
    "fc_flat_features": "FeaturesClassifier works when features gives (N, k) outputs (nothing to flatten)",
    "fc_names": "FeaturesClassifier holds the blocks as attributes named features and classifier",
    "fc_registers": "FeaturesClassifier registers both blocks: parameter count, .to reaches them",
    "fc_backward": "gradients reach the parameters of both blocks",
    "shapes_example": "layer_shapes on the text's LeNet-style chain gives the (class name, shape) pairs of the text",
    "shapes_any": "layer_shapes lists (type(layer).__name__, tuple of ints) for every direct child, in order",
    "shapes_restores_train": "layer_shapes leaves a net that was in training mode in training mode",
    "shapes_keeps_eval": "layer_shapes leaves a net that was in eval mode in eval mode",
    "shapes_no_grad": "layer_shapes runs the layers without gradients",
    "shapes_changes_nothing": "layer_shapes changes neither X nor the net: it runs in eval mode, so BatchNorm's "
                              "running statistics stay",
}

CONTAINERS = ("torch.nn.modules.container.Sequential", "torch.nn.modules.container.ModuleList",
              "torch.nn.modules.container.ModuleDict")


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _built(*specs):
    """The judge's copies of the built objects (same seeds, same sharing by label)."""
    ctx = BuildContext()
    return [ctx.make(spec) for spec in specs]


@torch.no_grad()
def _chain(layers: list, X: torch.Tensor) -> torch.Tensor:
    """The judge's own sequential forward of the built layers."""
    for m in _built(*layers):
        X = m(X)
    return X


def _mlp_layers(rng: torch.Generator, device: torch.device) -> tuple[list, int, int]:
    d, h, q = _int(rng, 3, 7), _int(rng, 5, 9), _int(rng, 2, 4)
    dev = str(device)
    layers = [specs.layer("Linear", d, h, seed=_int(rng, 0, 9999), label="l0", device=dev),
              specs.layer("ReLU", label="l1"),
              specs.layer("Linear", h, q, seed=_int(rng, 0, 9999), label="l2", device=dev)]
    return layers, d, q


def _direct_children(h) -> list[dict]:
    return [m for m in h.modules() if m["name"] and "." not in m["name"]]


# ---------------------------------------------------------------- MySequential

@check(points=1, clause="seq_any_stack")
def test_mysequential_conv_stack(student, reference, device, rng):
    """MySequential runs a longer conv stack (Conv2d, ReLU, MaxPool2d, Flatten, Linear)."""
    c, s = _int(rng, 2, 4), 2 * _int(rng, 2, 3)
    dev = str(device)
    layers = [specs.layer("Conv2d", 1, c, 3, padding=1, seed=_int(rng, 0, 9999), label="c", device=dev),
              specs.layer("ReLU", label="r"), specs.layer("MaxPool2d", 2, label="p"),
              specs.layer("Flatten", label="f"),
              specs.layer("Linear", c * (s // 2) ** 2, 3, seed=_int(rng, 0, 9999), label="o", device=dev)]
    X = torch.randn(3, 1, s, s, generator=rng).to(device)
    expected = _chain(layers, X)
    expect.close(student.MySequential(*layers)(X), expected, what="MySequential(conv stack)(X)")


@check(points=2, clause="seq_names")
def test_mysequential_children_named_by_position(student, reference, device, rng):
    """MySequential registers its modules as children "0", "1", "2", ... in order."""
    layers, _, _ = _mlp_layers(rng, device)
    layers.append(specs.layer("Tanh", label="l3"))
    h = student.MySequential(*layers)
    children = _direct_children(h)
    expect.equal([m["name"] for m in children], ["0", "1", "2", "3"], what="names of MySequential's children")
    expect.equal([m["type"] for m in children], ["Linear", "ReLU", "Linear", "Tanh"],
                 what="types of MySequential's children, in order")


@check(points=2, clause="seq_parameters")
def test_mysequential_registers_parameters(student, reference, device, rng):
    """MySequential's parameters are those of its modules (state_dict, parameter count)."""
    layers, _, _ = _mlp_layers(rng, device)
    h = student.MySequential(*layers)
    lin0, _, lin2 = _built(*layers)
    expected = sum(p.numel() for p in list(lin0.parameters()) + list(lin2.parameters()))
    got = h.num_params()
    expect.true(got == expected, f"MySequential holds {got} trainable parameters, expected {expected}: "
                "are the modules registered as children?")
    sd = h.state_dict()
    expect.equal(sorted(sd), ["0.bias", "0.weight", "2.bias", "2.weight"], what="MySequential's state_dict keys")
    expect.close(sd["0.weight"], lin0.weight.detach().to(device), what="state_dict()['0.weight']")


@check(points=1, clause="seq_to")
def test_mysequential_moves_with_to(student, reference, device, rng):
    """.to(device) reaches every module of MySequential (checked on the meta device)."""
    layers, _, _ = _mlp_layers(rng, device)
    h = student.MySequential(*layers)
    h.to("meta")
    sd = h.state_dict()
    expect.true(len(sd) == 4, f"MySequential's state_dict has {len(sd)} entries, expected 4 "
                "(weight and bias of both Linear layers)")
    for name, t in sd.items():
        expect.true(t.device.type == "meta", f"after .to('meta') state_dict()[{name!r}] is on {t.device}")


@check(points=2, clause="seq_index_any")
def test_mysequential_len_and_negative_index(student, reference, device, rng):
    """net[i] returns the i-th module for i from the front (0 too) and from the back, and len counts 4 modules."""
    layers, _, _ = _mlp_layers(rng, device)
    layers.append(specs.layer("Tanh", label="l3"))
    h = student.MySequential(*layers)
    expect.equal(h.call_method("__len__"), 4, what="len(MySequential(4 modules))")
    expected = dict(enumerate(_built(*layers)))
    for idx, pos in ((0, 0), (2, 2), (3, 3), (-2, 2), (-4, 0)):
        item = h.call_method("__getitem__", idx)
        expect.true(hasattr(item, "state_dict"), f"net[{idx}] is not a module")
        expect.equal(item.type_name, type(expected[pos]).__name__, what=f"type of net[{idx}]")
        expect.close(item.state_dict(), {k: v.detach() for k, v in expected[pos].state_dict().items()},
                     what=f"net[{idx}]'s parameters (should be the module given at position {pos})")


@check(points=1, clause="seq_index_error")
def test_mysequential_index_out_of_range(student, reference, device, rng):
    """net[i] raises IndexError when i is out of range."""
    layers, _, _ = _mlp_layers(rng, device)
    h = student.MySequential(*layers)
    for idx in (3, 7, -4, -9):
        with expect.raises(IndexError, what=f"net[{idx}] for 3 modules"):
            h.call_method("__getitem__", idx)


@check(points=2, clause="seq_no_containers")
def test_mysequential_no_builtin_containers(student, reference, device, rng):
    """MySequential neither subclasses nor holds nn.Sequential, nn.ModuleList or nn.ModuleDict."""
    layers, _, _ = _mlp_layers(rng, device)
    h = student.MySequential(*layers)
    bases = [t for t in h.type_names() if t in CONTAINERS]
    expect.true(not bases, f"MySequential is a subclass of {bases[0] if bases else ''}: write the "
                "container yourself on top of nn.Module")
    inside = [m["name"] for m in h.modules() if m["type"] in ("Sequential", "ModuleList", "ModuleDict")]
    expect.true(not inside, f"MySequential holds a built-in container ({inside}): register the "
                "modules as its own children")


@check(points=1, clause="seq_repeated")
def test_mysequential_repeated_module(student, reference, device, rng):
    """A module given twice is applied twice (shared weights), and counted twice by len()."""
    n = _int(rng, 3, 6)
    lin = specs.layer("Linear", n, n, seed=_int(rng, 0, 9999), label="shared", device=str(device))
    layers = [lin, specs.layer("Tanh", label="t"), lin]
    X = torch.randn(5, n, generator=rng).to(device)
    h = student.MySequential(*layers)
    expected = _chain(layers, X)
    expect.close(h(X), expected, what="MySequential(lin, Tanh, lin)(X) with the same lin twice")
    expect.equal(h.call_method("__len__"), 3, what="len(MySequential(lin, Tanh, lin))")


@check(points=1, clause="seq_empty")
def test_mysequential_empty_is_identity(student, reference, device, rng):
    """MySequential() with no modules returns its input and has length 0."""
    h = student.MySequential()
    X = torch.randn(3, 4, generator=rng).to(device)
    expect.close(h(X), X, what="MySequential()(X)")
    expect.equal(h.call_method("__len__"), 0, what="len(MySequential())")


# ---------------------------------------------------------------- FeaturesClassifier

def _conv_blocks(rng: torch.Generator, device: torch.device) -> tuple:
    c, s, q = _int(rng, 2, 4), 2 * _int(rng, 2, 3), _int(rng, 2, 5)
    dev = str(device)
    features = specs.sequential(("Conv2d", 1, c, 3, {"padding": 1}), ("ReLU",), ("MaxPool2d", 2),
                                seed=_int(rng, 0, 9999), label="features", device=dev)
    classifier = specs.layer("Linear", c * (s // 2) ** 2, q, seed=_int(rng, 0, 9999), label="classifier",
                             device=dev)
    return features, classifier, s, q


@torch.no_grad()
def _fc_expected(reference, features, classifier, X: torch.Tensor) -> torch.Tensor:
    return reference.FeaturesClassifier(*_built(features, classifier))(X)


@check(points=3, clause="fc_forward")
def test_features_classifier_forward(student, reference, device, rng):
    """FeaturesClassifier = classifier(flatten(features(X))) on a batch of images."""
    features, classifier, s, q = _conv_blocks(rng, device)
    X = torch.randn(_int(rng, 3, 6), 1, s, s, generator=rng).to(device)
    h = student.FeaturesClassifier(features, classifier)
    expected = _fc_expected(reference, features, classifier, X)
    expect.close(h(X), expected, what="FeaturesClassifier(features, classifier)(X)")


@check(points=1, clause="fc_flat_features")
def test_features_classifier_other_feature_shapes(student, reference, device, rng):
    """Works when features gives (N, k) outputs too (nothing to flatten)."""
    dev = str(device)
    d, k = _int(rng, 3, 6), _int(rng, 4, 8)
    flat = specs.layer("Linear", d, k, seed=_int(rng, 0, 9999), label="features", device=dev)
    head = specs.layer("Linear", k, 3, seed=_int(rng, 0, 9999), label="classifier", device=dev)
    X = torch.randn(4, d, generator=rng).to(device)
    expected = _fc_expected(reference, flat, head, X)
    expect.close(student.FeaturesClassifier(flat, head)(X), expected, what="FeaturesClassifier with 2-D features")



@check(points=1, clause="fc_names")
def test_features_classifier_names(student, reference, device, rng):
    """FeaturesClassifier keeps the blocks as attributes named features and classifier."""
    features, classifier, _, _ = _conv_blocks(rng, device)
    h = student.FeaturesClassifier(features, classifier)
    keys = sorted(h.state_dict())
    expect.equal(keys, ["classifier.bias", "classifier.weight", "features.0.bias", "features.0.weight"],
                 what="FeaturesClassifier's state_dict keys")


@check(points=1, clause="fc_registers")
def test_features_classifier_registers_and_moves(student, reference, device, rng):
    """FeaturesClassifier registers both blocks: parameter count, and .to reaches them (meta device)."""
    features, classifier, s, q = _conv_blocks(rng, device)
    expected = sum(p.numel() for m in _built(features, classifier) for p in m.parameters())
    h = student.FeaturesClassifier(features, classifier)
    got = h.num_params()
    expect.true(got == expected, f"FeaturesClassifier holds {got} trainable parameters, expected {expected}")
    h.to("meta")
    sd = h.state_dict()
    expect.true(len(sd) == 4, f"FeaturesClassifier's state_dict has {len(sd)} entries, expected 4")
    for name, t in sd.items():
        expect.true(t.device.type == "meta", f"after .to('meta') state_dict()[{name!r}] is on {t.device}")


@check(points=1, clause="fc_backward")
def test_features_classifier_backward(student, reference, device, rng):
    """Gradients reach the parameters of both blocks."""
    features, classifier, s, q = _conv_blocks(rng, device)
    h = student.FeaturesClassifier(features, classifier)
    grads = h.backward(torch.randn(3, 1, s, s, generator=rng).to(device))["grads"]
    expect.true(len(grads) == 4, f"expected gradients for 4 parameters, got {len(grads)}")
    for name, g in grads.items():
        expect.true(g is not None, f"no gradient reached {name}")
        expect.finite(g, f"gradient of {name}")


# ---------------------------------------------------------------- layer_shapes

def _probe_net(rng: torch.Generator, device: torch.device, training: bool = True, dropout: bool = False) -> tuple:
    c, s = _int(rng, 2, 4), 2 * _int(rng, 2, 4)
    layers = [("Conv2d", 1, c, 3, {"padding": 1}), ("BatchNorm2d", c), ("ReLU",), ("MaxPool2d", 2),
              ("Flatten",)]
    if dropout:
        layers.append(("Dropout", 0.5))
    layers.append(("Linear", c * (s // 2) ** 2, _int(rng, 2, 5)))
    net = specs.sequential(*layers, seed=_int(rng, 0, 9999), label="net", device=str(device), training=training)
    X = torch.randn(_int(rng, 2, 4), 1, s, s, generator=rng).to(device)
    return net, X


def _as_pairs(value: object) -> list:
    expect.true(type(value) in (list, tuple), f"layer_shapes returned a {type(value).__name__}, expected a list")
    pairs = []
    for item in value:
        expect.true(type(item) in (tuple, list) and len(item) == 2,
                    "every entry of layer_shapes' list must be a pair (class name, shape)")
        name, shape = item
        expect.true(type(name) is str, f"a class name must be a str, got {type(name).__name__}")
        expect.true(isinstance(shape, (tuple, list)) and all(type(s) is int for s in shape),
                    f"a shape must be a tuple of ints, got {shape!r}")
        pairs.append((name, tuple(shape)))
    return pairs


@check(points=3, clause="shapes_any")
def test_layer_shapes_matches_reference(student, reference, device, rng):
    """layer_shapes lists (class name, output shape) for every child, in order."""
    net, X = _probe_net(rng, device, dropout=True)
    got = student.layer_shapes(net, X)
    expected = reference.layer_shapes(_built(net)[0], X)
    expect.equal(_as_pairs(got), _as_pairs(expected), what="layer_shapes(net, X)")


@check(points=1, clause="shapes_keeps_eval")
def test_layer_shapes_keeps_eval_mode(student, reference, device, rng):
    """layer_shapes leaves a net that was in eval mode in eval mode."""
    net, X = _probe_net(rng, device, training=False)
    _, rec = student.call_recorded("layer_shapes", net, X)
    expect.equal(rec["net"]["final_training"], False, what="net.training after layer_shapes (was False)")


@check(points=1, clause="shapes_no_grad")
def test_layer_shapes_without_gradients(student, reference, device, rng):
    """layer_shapes runs every layer with gradients switched off (torch.no_grad())."""
    net, X = _probe_net(rng, device, training=False)
    _, rec = student.call_recorded("layer_shapes", net, X)
    layers = rec["net"]["child_grad_enabled"]
    expect.true(len(layers) >= 6, f"layer_shapes ran {len(layers)} forward passes of the net's 6 layers")
    expect.equal(layers, [False] * len(layers), what="torch.is_grad_enabled() in each layer's forward pass")


@check(points=2, clause="shapes_changes_nothing")
def test_layer_shapes_changes_nothing(student, reference, device, rng):
    """layer_shapes changes neither X nor the net (BatchNorm's running statistics stay as they were)."""
    net, X = _probe_net(rng, device, training=True)
    _, rec = student.call_recorded("layer_shapes", net, X)
    expect.equal(rec["args_after"][1], X, what="X after layer_shapes(net, X)")
    before = {k: v.detach().clone() for k, v in _built(net)[0].state_dict().items()}
    expect.close(rec["net"]["final_state"], before,
                 what="the net's state_dict after layer_shapes (run it in eval mode)")
