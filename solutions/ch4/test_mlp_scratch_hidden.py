"""Hidden checks for ch4.mlp_scratch: relu, MLPScratch and collapse_linear.

relu is compared with the reference on random tensors of several shapes and float dtypes, on
the meta device, and for leaving its input alone. MLPScratch is checked for its four parameters
(names, shapes, count), its initialisation (statistics, not exact numbers: creating the tensors in
another order or with torch.normal is just as right), and its forward and backward pass with
weights loaded from the judge, on flat and image-shaped inputs. collapse_linear is compared with
W1 W2 and b1 W2 + b2, and with the two-layer map it replaces.
"""

from __future__ import annotations

import math

import torch

from grader.checks import StudentException, check, expect

EXERCISE = "ch4.mlp_scratch"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "relu_example": "relu keeps positive entries and turns negative ones (and 0) into 0",
    "relu_any": "relu is max(X, 0) for float tensors of any shape",
    "relu_dtypes": "relu keeps float64 and float16",
    "relu_input": "relu returns a new tensor and leaves X unchanged",
    "relu_device": "relu keeps X's device",
    "mlp_parameters": "MLPScratch(d, h, q) holds the float32 nn.Parameters W1 (d, h), b1 (h,), W2 (h, q), b2 (q,) "
                      "and nothing else (arguments in the order inputs, hidden units, outputs)",
    "mlp_default_init": "with the default sigma = 0.01 the weights are small (N(0, 0.01^2)) and the biases zero",
    "mlp_sigma": "the weights are drawn at random from N(0, sigma^2) for the sigma given",
    "mlp_example_forward": "with the worked example's weights the network answers 0.5 at (1, -2) and 4.5 at (1, 1)",
    "mlp_forward": "forward computes relu(X W1 + b1) W2 + b2 with the network's own parameters",
    "mlp_flatten": "forward flattens its input to (-1, num_inputs): images and a single example too",
    "mlp_gradients": "gradients reach W1, b1, W2 and b2 through forward",
    "mlp_device": "the network moves with .to() and computes on its parameters' device",
    "collapse_example": "collapse_linear folds the worked example into W = [[1], [4]], b = [-0.5]",
    "collapse_any": "collapse_linear returns W = W1 W2 (d, q) and b = b1 W2 + b2 (q,): the two layers' map",
    "collapse_dtype_inputs": "collapse_linear keeps float64, works for q = 1 and leaves its inputs unchanged",
}

PARAM_NAMES = ("W1", "b1", "W2", "b2")
# Products of a few dozen terms: the summation order may differ from the judge's.
MATMUL_TOL = {"rtol": 1e-5, "atol": 1e-5}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _meta_unsupported(exc: StudentException) -> bool:
    """An operation the meta device cannot run (boolean-mask indexing, .item()) is no fault; a
    device mismatch ("not on the expected device") is."""
    text = exc.message.lower()
    if "expected device" in text or "same device" in text:
        return False
    # torch's NotImplementedError for an op without a meta kernel names the meta device; the
    # stub's NotImplementedError ("write your code here") does not
    return "meta" in text and ("NotImplementedError" in exc.exc_types or "meta tensor" in text)


# ------------------------------------------------------------------ relu

@check(points=2, clause="relu_any")
def test_relu_random(student, reference, device, rng):
    """relu matches max(X, 0) on random float32 tensors of 1 to 4 dimensions."""
    for shape in ((31,), (7, 9), (3, 4, 5), (2, 3, 2, 4)):
        X = torch.randn(*shape, generator=rng).to(device)
        expect.close(student.relu(X), reference.relu(X), what=f"relu of a tensor of shape {shape}")


@check(points=1, clause="relu_dtypes")
def test_relu_dtypes(student, reference, device, rng):
    """relu keeps float64 and float16 inputs in their dtype."""
    for dtype in (torch.float64, torch.float16):
        X = torch.randn(6, 8, generator=rng).to(dtype).to(device)
        expect.close(student.relu(X), reference.relu(X), what=f"relu of a {dtype} tensor")


@check(points=1, clause="relu_device")
def test_relu_device(student, reference, device, rng):
    """relu keeps the input's device (checked on 'meta', so no GPU is needed)."""
    meta = torch.empty(3, 4, device="meta")
    try:
        got = student.relu(meta)
    except StudentException as exc:
        if not _meta_unsupported(exc):
            raise
        return
    expect.close(got, reference.relu(meta), what="relu of a tensor on the 'meta' device")


# ------------------------------------------------------------------ MLPScratch

def _sizes(rng: torch.Generator) -> tuple[int, int, int]:
    d, h, q = _int(rng, 8, 20), _int(rng, 6, 16), _int(rng, 2, 7)
    if len({d, h, q}) < 3:      # distinct sizes, so that a swapped argument shows in the shapes
        d, h, q = 17, 11, 5
    return d, h, q


def _keys(handle, d: int, h: int, q: int) -> dict:
    """Our parameter name -> the student's state_dict key: by name when the names are W1, b1, W2,
    b2, else by shape (the sizes are distinct, so every shape names one parameter)."""
    sd = handle.state_dict()
    if all(name in sd for name in PARAM_NAMES):
        return {name: name for name in PARAM_NAMES}
    keys = {}
    for name, shape in zip(PARAM_NAMES, ((d, h), (h,), (h, q), (q,))):
        found = [k for k, v in sd.items() if tuple(v.shape) == shape]
        expect.true(len(found) == 1, f"MLPScratch({d}, {h}, {q}) has no parameter {name} of shape {shape} "
                    f"(its state_dict holds {sorted(sd)})")
        keys[name] = found[0]
    return keys


def _load(handle, sd: dict, d: int, h: int, q: int) -> dict:
    keys = _keys(handle, d, h, q)
    handle.load_state_dict({keys[name]: value for name, value in sd.items()})
    return keys


def _random_weights(rng: torch.Generator, d: int, h: int, q: int, device) -> dict:
    """Weights large enough that the ReLU switches a good share of the hidden units off."""
    return {"W1": (torch.randn(d, h, generator=rng) * 0.5).to(device),
            "b1": (torch.randn(h, generator=rng) * 0.5).to(device),
            "W2": (torch.randn(h, q, generator=rng) * 0.5).to(device),
            "b2": (torch.randn(q, generator=rng) * 0.5).to(device)}


def _mlp(sd: dict, X: torch.Tensor) -> torch.Tensor:
    H = X.reshape(-1, sd["W1"].shape[0]) @ sd["W1"] + sd["b1"]
    return torch.maximum(H, torch.zeros_like(H)) @ sd["W2"] + sd["b2"]


@check(points=2, clause="mlp_sigma")
def test_mlp_initialisation(student, device, rng):
    """Weights are drawn at random from N(0, sigma^2) for the sigma given."""
    d, h, q = 120, 60, 40     # distinct sizes: every parameter has its own shape
    # sigma = 1: sigma and sigma ** 2 agree, so scaling by the variance is the default's check alone
    s, seed = 1.0, 312
    net = student.MLPScratch(d, h, q, s, _seed=seed)
    keys = _keys(net, d, h, q)
    sd = {name: net.state_dict()[key] for name, key in keys.items()}
    for name in ("W1", "W2"):
        W = expect.tensor(sd[name], name).double()
        n = W.numel()
        std, mean = float(W.std()), float(W.mean())
        # a sample of n >= 2400 normals: the std within 10 %, the mean within 6 standard errors
        expect.true(abs(std - s) <= 0.1 * s,
                    f"{name} has standard deviation {std:.4g}, expected about sigma = {s:g}")
        expect.true(abs(mean) <= 6 * s / math.sqrt(n),
                    f"{name} has mean {mean:.4g}, expected about 0 (weights from N(0, sigma^2))")
    other = student.MLPScratch(d, h, q, s, _seed=seed + 100)
    expect.true(not bool(torch.equal(other.state_dict()[keys["W1"]], sd["W1"])),
                "two networks built with different random states have the same W1: draw it with randn")


@check(points=3, clause="mlp_forward")
def test_mlp_forward(student, device, rng):
    """forward computes relu(X W1 + b1) W2 + b2 with the network's own parameters."""
    d, h, q = _sizes(rng)
    net = student.MLPScratch(d, h, q, _seed=321)
    net.to(device)
    sd = _random_weights(rng, d, h, q, device)
    _load(net, sd, d, h, q)
    X = torch.randn(13, d, generator=rng).to(device)
    expect.close(net(X), _mlp(sd, X), **MATMUL_TOL, what=f"MLPScratch({d}, {h}, {q}) on X of shape (13, {d})")


@check(points=2, clause="mlp_flatten")
def test_mlp_flattens(student, device, rng):
    """forward flattens image-shaped input (n, 1, a, b) and a single row to (-1, num_inputs)."""
    a, b = _int(rng, 3, 5), _int(rng, 4, 6)
    d, h, q = a * b, 9, 4
    net = student.MLPScratch(d, h, q, _seed=331)
    net.to(device)
    sd = _random_weights(rng, d, h, q, device)
    _load(net, sd, d, h, q)
    for shape in ((7, 1, a, b), (5, a, b), (d,)):
        X = torch.randn(*shape, generator=rng).to(device)
        expect.close(net(X), _mlp(sd, X), **MATMUL_TOL,
                     what=f"MLPScratch({d}, {h}, {q}) on an input of shape {shape}")


@check(points=1, clause="mlp_gradients")
def test_mlp_gradients(student, device, rng):
    """Gradients reach W1, b1, W2 and b2 and match autograd on the same network."""
    d, h, q = _sizes(rng)
    net = student.MLPScratch(d, h, q, _seed=341)
    net.to(device)
    sd = _random_weights(rng, d, h, q, device)
    keys = _load(net, sd, d, h, q)
    X = torch.randn(11, d, generator=rng).to(device)
    result = net.backward(X)
    params = {k: v.clone().requires_grad_(True) for k, v in sd.items()}
    _mlp(params, X).sum().backward()
    for name in PARAM_NAMES:
        g = result["grads"].get(keys[name])
        expect.true(g is not None, f"no gradient reached {name}: is it an nn.Parameter used in forward?")
        expect.close(g, params[name].grad, **MATMUL_TOL, what=f"gradient of {name}")


@check(points=1, clause="mlp_device")
def test_mlp_other_device(student, device, rng):
    """MLPScratch moves with .to(): on the 'meta' device its output is a meta tensor of shape (n, q)."""
    net = student.MLPScratch(12, 8, 3, _seed=351)
    net.to("meta")
    try:
        got = net(torch.empty(6, 12, device="meta"))
    except StudentException as exc:
        if not _meta_unsupported(exc):
            raise
        return
    expect.close(got, torch.empty(6, 3, device="meta"), what="MLPScratch(12, 8, 3) on the 'meta' device")


# ------------------------------------------------------------------ collapse_linear

def _layers(rng: torch.Generator, d: int, h: int, q: int, device, dtype=torch.float32):
    return tuple(torch.randn(*s, generator=rng).to(dtype).to(device) for s in ((d, h), (h,), (h, q), (q,)))


@check(points=3, clause="collapse_any")
def test_collapse_random(student, reference, device, rng):
    """collapse_linear returns W1 W2 and b1 W2 + b2 for random layers of several sizes: X W + b is
    the two linear layers (X W1 + b1) W2 + b2."""
    for _ in range(3):
        d, h, q = _sizes(rng)
        args = _layers(rng, d, h, q, device)
        got = student.collapse_linear(*args)
        expect.close(got, reference.collapse_linear(*args), **MATMUL_TOL,
                     what=f"collapse_linear for layers {d} -> {h} -> {q}")
    W1, b1, W2, b2 = args
    X = torch.randn(10, d, generator=rng).to(device)
    expect.close(X @ got[0] + got[1], (X @ W1 + b1) @ W2 + b2, rtol=1e-4, atol=1e-4,
                 what="X @ W + b compared with (X @ W1 + b1) @ W2 + b2")


@check(points=1, clause="collapse_dtype_inputs")
def test_collapse_dtype_and_inputs(student, reference, device, rng):
    """collapse_linear keeps float64, works on a single output (q = 1) and leaves its inputs unchanged."""
    args = _layers(rng, 6, 4, 1, device, torch.float64)
    value, records = student.call_recorded("collapse_linear", *args)
    expect.close(value, reference.collapse_linear(*args), what="collapse_linear of float64 layers 6 -> 4 -> 1")
    for name, before, after in zip(PARAM_NAMES, args, records["args_after"]):
        expect.equal(after, before, what=f"{name} after collapse_linear (it must not be modified)")
