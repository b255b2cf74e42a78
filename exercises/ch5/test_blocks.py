"""Visible checks for ch5.blocks: run them with `pytest exercises/ch5`."""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch5.blocks"

LENET = (("Conv2d", 1, 6, 5, {"padding": 2}), ("Sigmoid",), ("AvgPool2d", 2, {"stride": 2}),
         ("Conv2d", 6, 16, 5), ("Sigmoid",), ("AvgPool2d", 2, {"stride": 2}), ("Flatten",),
         ("Linear", 400, 120))


@check(points=2, clause="seq_example")
def test_mysequential_chain(student, device, rng):
    """MySequential(Linear, ReLU, Linear) computes lin2(relu(lin1(X)))."""
    layers = [specs.layer("Linear", 4, 8, seed=1, label="a"), specs.layer("ReLU", label="b"),
              specs.layer("Linear", 8, 3, seed=2, label="c")]
    h = student.MySequential(*layers)
    h.to(device)
    # the two layers' parameters, found by their shapes (the names are another check's business)
    by_shape = {tuple(v.shape): v for v in h.state_dict().values()}
    expect.true(set(by_shape) == {(8, 4), (8,), (3, 8), (3,)},
                "MySequential's parameters should be the two Linear layers' weights and biases",
                f"got shapes {sorted(by_shape)}")
    X = torch.randn(5, 4, generator=rng).to(device)
    H = torch.relu(X @ by_shape[(8, 4)].T + by_shape[(8,)])
    expect.close(h(X), H @ by_shape[(3, 8)].T + by_shape[(3,)], what="MySequential(Linear, ReLU, Linear)(X)")


@check(points=1, clause="seq_index_example")
def test_mysequential_len_and_index(student, device, rng):
    """len(net) is 3 and net[1], net[-1] are the second and the last modules."""
    layers = [specs.layer("Linear", 4, 8, seed=1, label="a"), specs.layer("ReLU", label="b"),
              specs.layer("Linear", 8, 3, seed=2, label="c")]
    h = student.MySequential(*layers)
    expect.equal(h.call_method("__len__"), 3, what="len(net)")
    expect.equal(h.call_method("__getitem__", 1).type_name, "ReLU", what="type of net[1]")
    expect.equal(h.call_method("__getitem__", -1).modules()[0].get("out_features"), 3,
                 what="net[-1].out_features")


@check(points=2, clause="fc_example")
def test_features_classifier_keeps_batch(student, device, rng):
    """FeaturesClassifier gives (N, 10) for N = 1 and N = 8 images."""
    features = specs.sequential(("Conv2d", 1, 4, 3, {"padding": 1}), ("ReLU",), ("MaxPool2d", 2), seed=3,
                                label="features")
    classifier = specs.layer("Linear", 4 * 14 * 14, 10, seed=4, label="classifier")
    h = student.FeaturesClassifier(features, classifier)
    h.to(device)
    for n in (1, 8):
        out = expect.tensor(h(torch.rand(n, 1, 28, 28, generator=rng).to(device)), f"output for {n} images")
        expect.shape(out, (n, 10), f"FeaturesClassifier output for {n} images")


@check(points=2, clause="shapes_example")
def test_layer_shapes_lenet(student, device, rng):
    """layer_shapes on the text's LeNet-style chain gives the shapes in the text."""
    net = specs.sequential(*LENET, seed=5, label="net", device=str(device))
    got = student.layer_shapes(net, torch.rand(1, 1, 28, 28, generator=rng).to(device))
    expected = [("Conv2d", (1, 6, 28, 28)), ("Sigmoid", (1, 6, 28, 28)), ("AvgPool2d", (1, 6, 14, 14)),
                ("Conv2d", (1, 16, 10, 10)), ("Sigmoid", (1, 16, 10, 10)), ("AvgPool2d", (1, 16, 5, 5)),
                ("Flatten", (1, 400)), ("Linear", (1, 120))]
    expect.true(type(got) is list and len(got) == len(expected),
                f"layer_shapes should return a list of {len(expected)} pairs", f"got {got!r}")
    expect.equal([(name, tuple(shape)) for name, shape in got], expected, what="layer_shapes(lenet, X)")


@check(points=1, clause="shapes_restores_train")
def test_layer_shapes_keeps_mode(student, device, rng):
    """layer_shapes leaves a net in training mode in training mode."""
    net = specs.sequential(*LENET, seed=5, label="net", device=str(device), training=True)
    _, records = student.call_recorded("layer_shapes", net, torch.rand(2, 1, 28, 28, generator=rng).to(device))
    expect.equal(records["net"]["final_training"], True, what="net.training after layer_shapes")
