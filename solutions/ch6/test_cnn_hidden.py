"""Hidden checks for ch6.cnn: ConvNet against the reference, flattened_size and predict on built
models whose records show the modes and autograd state of every forward pass.

Weights move into the student's ConvNet by name (cn1, cn2, fc1, fc2 are the contract); when the
names differ they move by position, if the parameters come in the reference's order and shapes.
Every check does one forward pass before reading parameters, so lazy layers (nn.LazyLinear for
fc1) have their shapes.

Dropout is observed with hand-made weights: the convolutions output constant maps (zero kernels,
positive biases), fc1 averages channel k into hidden unit k (k < 9) and fc2 copies hidden unit k
into score k, score 9 being 0. Score k minus score 9 is then b_k times channel k's Dropout2d
factor times unit k's Dropout factor: 0 or b_k / (0.9 * 0.75) in training mode, and anything
else (a fraction of the pixels kept, another probability) shows.
"""

from __future__ import annotations

import math

import torch

from grader.checks import specs, check, expect, reference_call

EXERCISE = "ch6.cnn"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "shapes_example": "ConvNet maps (N, 1, 28, 28) to (N, 10) with 300,426 trainable parameters",
    "log_probs_example": "ConvNet returns log-probabilities: log_softmax over dimension 1",
    "dropout_off_example": "in eval mode ConvNet is deterministic; in training mode dropout is on",
    "flattened_example": "flattened_size(cn1, (1, 28, 28)) is 16 x 26 x 26; a 3-output network gives 3",
    "predict_example": "predict gives int64 labels of shape (N,) in the range of the classes",
    "layers": "the layers are named cn1, cn2 (3x3, stride 1, no padding), fc1 (4608 -> 64) and fc2 (64 -> 10)",
    "dropout_modules": "the dropouts are modules: nn.Dropout2d(0.10) on the 4-D tensor, nn.Dropout(0.25) on the 2-D one",
    "every_mode_device": "forward gives finite float32 (N, 10) outputs in both modes, on the input's device",
    "matches_reference": "forward follows the table: conv, ReLU, conv, ReLU, max-pool 2, Dropout2d, flatten, fc1, "
                         "ReLU, Dropout, fc2, log_softmax",
    "dropout_training": "in training mode whole channels are dropped with p = 0.10 and hidden units with p = 0.25",
    "dry_run": "flattened_size runs once in eval mode under no_grad and leaves the module's mode and weights",
    "dry_run_device_dtype": "the dry run's zeros are made on the device and in the dtype of the module's parameters, "
                            "and a module without parameters works too",
    "predict_values": "predict returns the argmax labels of the model's scores, on X's device",
    "predict_mode": "predict runs the model in eval mode without autograd and restores its previous mode",
}

LAYERS = {"cn1": {"type": "Conv2d", "in_channels": 1, "out_channels": 16, "kernel_size": (3, 3),
                  "stride": (1, 1), "padding": (0, 0), "has_bias": True},
          "cn2": {"type": "Conv2d", "in_channels": 16, "out_channels": 32, "kernel_size": (3, 3),
                  "stride": (1, 1), "padding": (0, 0), "has_bias": True},
          "fc1": {"type": "Linear", "in_features": 4608, "out_features": 64, "has_bias": True},
          "fc2": {"type": "Linear", "in_features": 64, "out_features": 10, "has_bias": True}}
DROPOUT_TYPES = {"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"}
SIGMAS = 6.0


def _pair(value):
    if value == "valid":   # the same as padding 0
        return (0, 0)
    return (value, value) if type(value) is int else tuple(value) if type(value) in (list, tuple) else value


def _images(rng: torch.Generator, n: int) -> torch.Tensor:
    return torch.randn(n, 1, 28, 28, generator=rng)


def _reference_net(reference, rng: torch.Generator):
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=rng))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return reference.ConvNet()


def _student_net(student, device: torch.device, rng: torch.Generator):
    """The student's ConvNet on `device` after one forward pass (lazy layers get their shapes)."""
    h = student.ConvNet(_seed=int(torch.randint(0, 2**31 - 1, (1,), generator=rng)))
    h.to(device)
    h.eval()
    h(torch.zeros(1, 1, 28, 28, device=device))
    return h


def _load(h, state: dict[str, torch.Tensor], device: torch.device) -> None:
    """Give the student's net the reference's parameters: by name, else by position and shape."""
    mine = h.state_dict()
    by_name = all(k in mine and tuple(mine[k].shape) == tuple(v.shape) for k, v in state.items())
    if by_name:
        new = dict(mine)
        new.update({k: v.to(device) for k, v in state.items()})
    else:
        floats = [k for k, v in mine.items() if v.is_floating_point()]
        expect.true(len(floats) == len(state) and
                    all(tuple(mine[k].shape) == tuple(v.shape) for k, v in zip(floats, state.values())),
                    "ConvNet's parameters could not be matched with the reference's: name the layers "
                    "cn1, cn2, fc1, fc2 (state_dict keys like 'cn1.weight') with the sizes of the table",
                    detail=f"yours: {[(k, tuple(mine[k].shape)) for k in floats]}\n"
                           f"reference: {[(k, tuple(v.shape)) for k, v in state.items()]}")
        new = dict(mine)
        new.update({k: v.to(device) for k, v in zip(floats, state.values())})
    h.load_state_dict(new)


# ---------------------------------------------------------------- ConvNet

@check(points=2, clause="layers")
def test_convnet_layers(student, device, rng):
    """ConvNet has cn1, cn2 (3x3 convolutions, stride 1, no padding), fc1 (4608 -> 64), fc2 (64 -> 10)."""
    h = _student_net(student, device, rng)
    found = {e["name"]: e for e in h.modules()}
    for name, spec in LAYERS.items():
        expect.true(name in found, f"ConvNet has no layer named {name!r}")
        got = {k: _pair(found[name].get(k)) if k in ("kernel_size", "stride", "padding") else found[name].get(k)
               for k in spec}
        expect.true(got == spec, f"ConvNet.{name} is not the expected layer",
                    detail=f"got {got}\nexpected {spec}")


@check(points=1, clause="dropout_modules")
def test_convnet_dropout_modules(student, device, rng):
    """ConvNet holds nn.Dropout2d(0.10) for the 4-D tensor and nn.Dropout(0.25) for the 2-D one (not Dropout2d)."""
    h = _student_net(student, device, rng)
    drops = sorted((e["type"], round(float(e.get("p", -1)), 6)) for e in h.modules() if e["type"] in DROPOUT_TYPES)
    expect.true(drops == [("Dropout", 0.25), ("Dropout2d", 0.1)],
                f"ConvNet's dropout modules are {drops}; expected one nn.Dropout2d(0.10) (after pooling, "
                "4-D) and one nn.Dropout(0.25) (after fc1, 2-D: Dropout2d is meant for 4-D tensors)")


@check(points=1, clause="every_mode_device")
def test_convnet_every_mode_and_device(student, device, rng):
    """ConvNet returns finite float32 (N, 10) outputs in both modes, on the input's device ('meta' too)."""
    h = _student_net(student, device, rng)
    X = _images(rng, 2).to(device)
    for training, n in ((False, 1), (True, 2)):
        h.train(training)
        out = expect.tensor(h(X[:n], _seed=5), what=f"ConvNet output (training={training})")
        expect.shape(out, (n, 10), what=f"ConvNet output for {n} image(s)")
        expect.dtype(out, torch.float32, what="ConvNet output")
        expect.finite(out, what="ConvNet output")
    h.to("meta")
    out = expect.tensor(h(torch.empty(3, 1, 28, 28, device="meta")), what="ConvNet output on 'meta'")
    expect.true(out.device.type == "meta" and tuple(out.shape) == (3, 10),
                f"ConvNet moved to 'meta' returned shape {tuple(out.shape)} on {out.device}")


@check(points=3, clause="matches_reference")
def test_convnet_matches_reference(student, reference, device, rng):
    """In eval mode ConvNet with the reference's weights computes the reference's log-probabilities."""
    ref = _reference_net(reference, rng).to(device).eval()
    h = _student_net(student, device, rng)
    _load(h, {k: v.detach().clone() for k, v in ref.state_dict().items()}, device)
    h.eval()
    X = (_images(rng, 3) * 1.5).to(device)
    with torch.no_grad():
        expected = ref(X)
    tol = {"rtol": 1e-4, "atol": 1e-5}
    expect.close(h(X, _seed=1), expected, what="ConvNet output in eval mode", **tol)


def _probe_state() -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    b2 = 1.0 + 0.25 * torch.arange(32, dtype=torch.float32)
    state = {"cn1.weight": torch.zeros(16, 1, 3, 3), "cn1.bias": torch.ones(16),
             "cn2.weight": torch.zeros(32, 16, 3, 3), "cn2.bias": b2,
             "fc1.weight": torch.zeros(64, 4608), "fc1.bias": torch.zeros(64),
             "fc2.weight": torch.zeros(10, 64), "fc2.bias": torch.zeros(10)}
    for k in range(9):
        state["fc1.weight"][k, k * 144:(k + 1) * 144] = 1.0 / 144
        state["fc2.weight"][k, k] = 1.0
    return state, b2[:9]


@check(points=2, clause="dropout_training")
def test_convnet_dropout_in_training(student, device, rng):
    """In training mode whole channels are dropped with p = 0.10 after pooling and hidden units with p = 0.25 after fc1."""
    h = _student_net(student, device, rng)
    state, b = _probe_state()
    _load(h, state, device)
    X = _images(rng, 16).to(device)
    h.eval()
    out = expect.tensor(h(X), what="ConvNet output in eval mode (probe weights)")
    expect.close(out[:, :9] - out[:, 9:], b.to(device).expand(16, 9), atol=1e-4,
                 what="score k - score 9 in eval mode with the probe weights (no dropout at all)")
    h.train(True)
    out = expect.tensor(h(X, _seed=int(torch.randint(0, 10**6, (1,), generator=rng))),
                        what="ConvNet output in training mode (probe weights)")
    diff = (out[:, :9] - out[:, 9:]).cpu()
    kept_value = b / (0.9 * 0.75)
    kept = diff.abs() > 1e-3
    expect.true(bool(torch.all(~kept | ((diff - kept_value).abs() < 1e-3 * kept_value))),
                "in training mode a channel read by fc1 should come out either dropped (0) or scaled by "
                "1 / (0.9 * 0.75): whole channels dropped by Dropout2d(0.10), then units by Dropout(0.25)",
                detail=f"score differences / expected kept value:\n{(diff / kept_value).tolist()}")
    frac, n = float(kept.float().mean()), kept.numel()
    tol = SIGMAS * math.sqrt(0.675 * 0.325 / n)
    expect.true(abs(frac - 0.675) <= tol,
                f"in training mode {frac:.3f} of the probed values survived both dropouts, expected "
                f"about 0.9 * 0.75 = 0.675 (within {tol:.3f})")
    whole_rows = int((~kept).all(dim=1).sum())
    expect.true(whole_rows <= 1, f"{whole_rows} of 16 images lost all probed hidden units at once: "
                "the dropout after fc1 must drop single entries (nn.Dropout), not whole rows")


# ---------------------------------------------------------------- flattened_size

@check(points=1, clause="dry_run")
def test_flattened_size_dry_run(student, rng):
    """flattened_size runs once in eval mode without autograd and leaves the module's mode and weights as they were."""
    for training in (True, False):
        net = specs.cnn(in_channels=1, size=8, classes=4, dropout=0.5, seed=4, training=training, label="net")
        _, records = student.call_recorded("flattened_size", net, (1, 8, 8))
        rec = records["net"]
        expect.true(rec["forwards"] >= 1, "flattened_size did not run the module")
        expect.true(not any(rec["grad_enabled"]), "flattened_size's dry run should run under torch.no_grad()")
        expect.true(not any(rec["modes"]), "flattened_size's dry run should run in eval mode")
        expect.true(rec["final_training"] == training,
                    f"flattened_size left a module that was in {'training' if training else 'eval'} mode in "
                    f"{'training' if rec['final_training'] else 'eval'} mode")
        expect.equal(rec["final_state"], rec["initial_state"], what="the module's weights after flattened_size")


@check(points=1, clause="dry_run_device_dtype")
def test_flattened_size_device_and_dtype(student, rng):
    """flattened_size makes its zeros on the device and in the dtype of the module's parameters (float64, 'meta'), and works without parameters."""
    c, size = int(torch.randint(2, 5, (1,), generator=rng)), 2 * int(torch.randint(3, 5, (1,), generator=rng))
    float64 = specs.net([["conv", "conv2d", 1, c, 3, 1], ["flat", "flatten"]], seed=3, dtype=torch.float64)
    on_meta = specs.cnn(in_channels=2, size=size, classes=c + 1, seed=4, device="meta")
    no_params = specs.sequential(("MaxPool2d", 2), ("Flatten",), label="pool")
    for spec, shape, expected, what in (
            (float64, (1, size, size), c * size * size, "a float64 convolution"),
            (on_meta, (2, size, size), c + 1, "a network on the 'meta' device"),
            (no_params, (c, size, size + 2), c * (size // 2) * (size // 2 + 1), "a module without parameters")):
        got = student.flattened_size(spec, shape)
        expect.true(type(got) is int and got == expected,
                    f"flattened_size of {what} for inputs of shape {shape} returned {got!r}, expected {expected}")


# ---------------------------------------------------------------- predict

@check(points=2, clause="predict_values")
def test_predict_labels(student, reference, device, rng):
    """predict returns the int64 argmax labels (N,) of the model's scores, on X's device."""
    cases = [(specs.mlp([12, 16, 5], seed=5), torch.randn(9, 12, generator=rng)),
             (specs.cnn(in_channels=1, size=8, classes=3, seed=6), torch.randn(1, 1, 8, 8, generator=rng)),
             (specs.cnn(in_channels=2, size=6, classes=4, seed=7), torch.randn(7, 2, 6, 6, generator=rng) * 3)]
    for spec, X in cases:
        got = student.predict(spec, X)
        expected, _ = reference_call(reference.predict, spec, X)
        expect.equal(got, expected, what=f"predict on a batch of shape {tuple(X.shape)}")
    meta = specs.mlp([6, 4, 3], seed=8, device="meta")
    got = expect.tensor(student.predict(meta, torch.empty(5, 6, device="meta")), what="predict on 'meta'")
    expect.true(got.device.type == "meta" and tuple(got.shape) == (5,) and got.dtype == torch.int64,
                f"predict with a model and X on 'meta' returned {got.dtype} {tuple(got.shape)} on {got.device}")


@check(points=2, clause="predict_mode")
def test_predict_mode(student, reference, rng):
    """predict runs the model in eval mode without autograd and restores its previous mode."""
    X = torch.randn(40, 10, generator=rng)
    for training in (True, False):
        net = specs.mlp([10, 32, 6], dropout=0.5, seed=9, training=training, label="net")
        got, records = student.call_recorded("predict", net, X, _seed=11)
        expected, _ = reference_call(reference.predict, net, X, _seed=11)
        rec = records["net"]
        expect.true(rec["forwards"] >= 1 and not any(rec["modes"]),
                    "predict should run the model in eval mode (dropout off)")
        expect.true(not any(rec["grad_enabled"]), "predict should run the model under torch.no_grad()")
        expect.true(rec["final_training"] == training,
                    f"predict left a model that was in {'training' if training else 'eval'} mode in "
                    f"{'training' if rec['final_training'] else 'eval'} mode: restore its mode")
        expect.equal(got, expected, what="predict on a network with dropout")
