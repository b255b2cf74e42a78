"""Hidden checks for ch5.custom_layers: MyLinear and MyFlatten.

MyLinear's parameters are found by their shapes (in_units != units everywhere), not by their
names, so any names pass; the checks then load random values into them and compare the forward
pass and the gradients with X @ W + b computed here. Only test_linear_parameters charges the
parameters' shapes and registration: the other checks load a weight stored transposed as its
transpose, and leave a bias that is not a parameter at its (zero) start, so one slip there costs
one check. The initialisation is random, so it is
checked by its statistics on a layer large enough for tight bounds. MyFlatten is compared with
torch.flatten (in the judge) on random shapes, permuted and sliced (non-contiguous) inputs (sent
as `specs.strided`, since the codec makes every tensor contiguous),
negative start dims and an empty batch.
"""

from __future__ import annotations

import math

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch5.custom_layers"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "linear_example": "MyLinear(256, 4) has a (256, 4) weight and a (4,) bias of zeros: 1028 trainable parameters",
    "linear_forward_example": "with W = [[1, 2], [3, 4], [5, 6]] and b = [10, 20], MyLinear maps [1, 1, 1] to [19, 32]",
    "linear_parameters": "for any sizes, the weight (in_units, units) and the bias (units,) are nn.Parameters of "
                         "MyLinear itself (no submodule)",
    "linear_init": "the weight is drawn as torch.randn(in_units, units) / sqrt(in_units)",
    "linear_leading_dims": "forward(X) is X @ weight + bias for inputs of shape (..., in_units), 1-D and 3-D too",
    "linear_moves": "MyLinear moves with .to(): float64 parameters give float64 outputs, meta parameters meta ones",
    "linear_gradients": "gradients w.r.t. the input, the weight and the bias are those of X @ W + b",
    "flatten_example": "MyFlatten(1), MyFlatten(2) and MyFlatten() on a (2, 3, 4, 5) tensor, as in the text",
    "flatten_channels_last_example": "MyFlatten() works on a permuted (channels-last) batch",
    "flatten_any_rank": "MyFlatten(start_dim) merges the dimensions from start_dim on, for ranks 2 to 5",
    "flatten_non_contiguous": "MyFlatten works on transposed, sliced and expanded (non-contiguous) inputs",
    "flatten_negative": "a negative start_dim counts from the end",
    "flatten_empty": "empty batches (and empty dimensions) flatten too",
    "flatten_dtype_device": "MyFlatten keeps the dtype (int64, float64, bool) and the device (meta too)",
}

NO_LINEAR = ["linear"]
NO_FLATTEN = ["flatten"]


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _sizes(rng: torch.Generator, low: int = 3, high: int = 9) -> tuple[int, int]:
    """(in_units, units) with in_units != units, so the weight and bias shapes tell them apart."""
    a, b = _int(rng, low, high), _int(rng, low, high)
    if a == b:
        b += 1
    return a, b


def _params(h, in_units: int, units: int) -> tuple[str, str]:
    """Names of the (in_units, units) weight and the (units,) bias in the student's state_dict."""
    sd = h.state_dict()
    what = f"MyLinear({in_units}, {units})"
    expect.true(type(sd) is dict and len(sd) == 2,
                f"{what}.state_dict() should hold exactly two tensors (a weight and a bias), "
                f"got {sorted(sd) if type(sd) is dict else sd!r}")
    weight = [k for k, v in sd.items() if tuple(v.shape) == (in_units, units)]
    bias = [k for k, v in sd.items() if tuple(v.shape) == (units,)]
    expect.true(len(weight) == 1, f"{what} has no parameter of shape ({in_units}, {units}); shapes: "
                f"{[tuple(v.shape) for v in sd.values()]}")
    expect.true(len(bias) == 1, f"{what} has no parameter of shape ({units},); shapes: "
                f"{[tuple(v.shape) for v in sd.values()]}")
    return weight[0], bias[0]


def _found(h, in_units: int, units: int) -> tuple[str, bool, str | None]:
    """(weight name, stored transposed?, bias name or None): the parameters as the student stored
    them, for the checks whose business is not the storage (test_linear_parameters charges it)."""
    sd = h.state_dict()
    sd = sd if type(sd) is dict else {}
    for shape, transposed in (((in_units, units), False), ((units, in_units), True)):
        weight = [k for k, v in sd.items() if tuple(v.shape) == shape]
        if weight:
            bias = [k for k, v in sd.items() if tuple(v.shape) == (units,)]
            return weight[0], transposed, (bias[0] if bias else None)
    expect.fail(f"MyLinear({in_units}, {units}) has no weight of shape ({in_units}, {units}); parameter shapes: "
                f"{[tuple(v.shape) for v in sd.values()]}")
    raise AssertionError  # unreachable: expect.fail raises


def _loaded(student, rng: torch.Generator, in_units: int, units: int, device: torch.device,
            dtype: torch.dtype = torch.float32):
    """A MyLinear handle computing X @ W + b for random W and b (loaded by shape, a weight stored
    transposed gets W.T; a bias that is not a parameter stays at zero); returns (handle, W, b)."""
    h = student.new("MyLinear", in_units, units, _forbid=NO_LINEAR)
    wname, transposed, bname = _found(h, in_units, units)
    h.to(device)
    if dtype != torch.float32:
        h.to(dtype)
    W = torch.randn(in_units, units, generator=rng, dtype=dtype).to(device)
    b = torch.randn(units, generator=rng, dtype=dtype).to(device)
    state = {wname: W.T.contiguous() if transposed else W}
    if bname is None:
        b = torch.zeros_like(b)
    else:
        state[bname] = b
    h.load_state_dict(state)
    return h, W, b


# ---------------------------------------------------------------- MyLinear

@check(points=2, clause="linear_parameters")
def test_linear_parameters(student, device, rng):
    """MyLinear registers a (in_units, units) weight and a (units,) bias as its own trainable parameters."""
    for _ in range(2):
        n_in, n_out = _sizes(rng)
        h = student.new("MyLinear", n_in, n_out, _seed=_int(rng, 0, 9999), _forbid=NO_LINEAR)
        _params(h, n_in, n_out)
        expect.equal(h.num_params(), n_in * n_out + n_out,
                     what=f"trainable parameters of MyLinear({n_in}, {n_out}) (are both nn.Parameters?)")
        types = [m["type"] for m in h.modules() if m["name"]]
        expect.true(not types, f"MyLinear should hold its parameters itself, not submodules {types}")


@check(points=2, clause="linear_init")
def test_linear_init_statistics(student, device, rng):
    """MyLinear's weight is standard normal divided by sqrt(in_units): mean 0, std 1/sqrt(in_units)."""
    n_in, n_out = _int(rng, 200, 320), _int(rng, 40, 60)
    h = student.new("MyLinear", n_in, n_out, _seed=_int(rng, 0, 9999), _forbid=NO_LINEAR)
    wname, _, _ = _found(h, n_in, n_out)
    W = h.state_dict()[wname].double()
    expect.finite(W, "MyLinear's initial weight")
    n, sigma = W.numel(), 1.0 / math.sqrt(n_in)
    std, mean = float(W.std()), float(W.mean())
    expect.true(abs(std / sigma - 1.0) < 0.05,
                f"MyLinear({n_in}, {n_out}): the weight's standard deviation is {std:.4f}, expected "
                f"1/sqrt({n_in}) = {sigma:.4f}")
    expect.true(abs(mean) < 6 * sigma / math.sqrt(n),
                f"MyLinear({n_in}, {n_out}): the weight's mean is {mean:.4f}, expected about 0 "
                "(a standard normal draw, not a uniform one)")
    kurt = float(((W - mean) ** 4).mean() / std ** 4)
    expect.true(2.7 < kurt < 3.3, f"MyLinear({n_in}, {n_out}): the weight does not look normally "
                f"distributed (kurtosis {kurt:.2f}, a normal distribution has 3)")


@check(points=1, clause="linear_leading_dims")
def test_linear_leading_dims(student, device, rng):
    """MyLinear works on inputs of shape (..., in_units): a 3-D and a 1-D input."""
    n_in, n_out = _sizes(rng)
    h, W, b = _loaded(student, rng, n_in, n_out, device)
    X = torch.randn(2, _int(rng, 2, 4), n_in, generator=rng).to(device)
    expect.close(h(X, _forbid=NO_LINEAR), X @ W + b, what=f"MyLinear({n_in}, {n_out}) on a {tuple(X.shape)} input")
    x = torch.randn(n_in, generator=rng).to(device)
    expect.close(h(x, _forbid=NO_LINEAR), x @ W + b, what=f"MyLinear({n_in}, {n_out}) on a {tuple(x.shape)} input")


@check(points=1, clause="linear_moves")
def test_linear_dtype_and_device(student, device, rng):
    """MyLinear moves with .to(): float64 parameters give float64 outputs, meta parameters meta outputs."""
    n_in, n_out = _sizes(rng)
    h, W, b = _loaded(student, rng, n_in, n_out, device, dtype=torch.float64)
    X = torch.randn(4, n_in, generator=rng, dtype=torch.float64).to(device)
    expect.close(h(X, _forbid=NO_LINEAR), X @ W + b, what="MyLinear converted to float64")
    if _found(h, n_in, n_out)[2] is None:
        return   # a bias that is not a parameter cannot move: test_linear_parameters charges that slip
    h.to("meta")
    got = expect.tensor(h(torch.empty(3, n_in, device="meta", dtype=torch.float64), _forbid=NO_LINEAR),
                        "MyLinear moved to the meta device")
    expect.true(got.device.type == "meta" and tuple(got.shape) == (3, n_out),
                f"MyLinear moved with .to('meta') gave a tensor of shape {tuple(got.shape)} on "
                f"{got.device}, expected shape (3, {n_out}) on meta: are both tensors nn.Parameters?")


@check(points=2, clause="linear_gradients")
def test_linear_gradients(student, device, rng):
    """Gradients of MyLinear w.r.t. the input, the weight and the bias are those of X @ W + b."""
    n_in, n_out = _sizes(rng)
    h, W, b = _loaded(student, rng, n_in, n_out, device)
    wname, transposed, bname = _found(h, n_in, n_out)
    X = torch.randn(_int(rng, 3, 6), n_in, generator=rng).to(device)
    G = torch.randn(X.shape[0], n_out, generator=rng).to(device)
    got = h.backward(X, grad_output=G, _forbid=NO_LINEAR)
    grads = got["grads"]
    expect.true(grads.get(wname) is not None, "no gradient reached the weight (does it require grad?)")
    expect.close(grads[wname].T if transposed else grads[wname], X.T @ G, what="gradient of the weight")
    if bname is not None:
        expect.true(grads.get(bname) is not None, "no gradient reached the bias (does it require grad?)")
        expect.close(grads[bname], G.sum(dim=0), what="gradient of the bias")
    expect.close(got["input_grads"][0], G @ W.T, what="gradient of the input")


# ---------------------------------------------------------------- MyFlatten

def _flatten(student, X: torch.Tensor, start_dim: int | None, what: str) -> None:
    h = (student.new("MyFlatten", _forbid=NO_FLATTEN) if start_dim is None
         else student.new("MyFlatten", start_dim, _forbid=NO_FLATTEN))
    expected = torch.flatten(X, 1 if start_dim is None else start_dim)
    # The codec sends tensors contiguous: a non-contiguous input travels as a strided build.
    arg = X if X.is_contiguous() else specs.strided(X)
    expect.equal(h(arg, _forbid=NO_FLATTEN), expected, what=what)


def _shape(rng: torch.Generator, rank: int) -> list[int]:
    return [_int(rng, 2, 5) for _ in range(rank)]


@check(points=1, clause="flatten_any_rank")
def test_flatten_contiguous(student, device, rng):
    """MyFlatten(start_dim) merges the dimensions from start_dim on, for ranks 2 to 5."""
    for rank in (2, 3, 4, 5):
        X = torch.randn(*_shape(rng, rank), generator=rng).to(device)
        start = _int(rng, 0, rank - 1)
        _flatten(student, X, start, f"MyFlatten({start}) on a {tuple(X.shape)} tensor")


@check(points=3, clause="flatten_non_contiguous")
def test_flatten_non_contiguous(student, device, rng):
    """MyFlatten works on permuted, transposed, sliced and expanded (non-contiguous) inputs."""
    base = torch.randn(*_shape(rng, 4), generator=rng).to(device)
    cases = [
        (base.permute(0, 2, 3, 1), 1, "a permuted (channels-last) batch"),
        (base.transpose(1, 3), 2, "a transposed batch"),
        (base[:, :, ::2, 1:], 1, "a strided slice"),
        (torch.randn(_int(rng, 2, 5), 1, generator=rng).to(device).expand(-1, 4), 0, "an expanded tensor"),
        (torch.randn(*_shape(rng, 2), generator=rng).to(device).T, 0, "a transposed matrix"),
    ]
    for X, start, name in cases:
        expect.true(not X.is_contiguous(), "internal: the input should be non-contiguous")
        _flatten(student, X, start, f"MyFlatten({start}) on {name} of shape {tuple(X.shape)}")


@check(points=1, clause="flatten_negative")
def test_flatten_negative_start_dim(student, device, rng):
    """A negative start_dim counts from the end: -2 merges the last two dimensions, -1 changes nothing."""
    X = torch.randn(*_shape(rng, 4), generator=rng).to(device)
    for start in (-1, -2, -3, -4):
        _flatten(student, X, start, f"MyFlatten({start}) on a {tuple(X.shape)} tensor")


@check(points=1, clause="flatten_empty")
def test_flatten_empty_batch(student, device, rng):
    """An empty batch flattens too: (0, C, H, W) becomes (0, C*H*W)."""
    c, hh, ww = _shape(rng, 3)
    _flatten(student, torch.empty(0, c, hh, ww, device=device), 1, f"MyFlatten() on a (0, {c}, {hh}, {ww}) batch")
    _flatten(student, torch.empty(3, 0, ww, device=device), 1, f"MyFlatten() on a (3, 0, {ww}) batch")


@check(points=1, clause="flatten_dtype_device")
def test_flatten_dtype_and_device(student, device, rng):
    """MyFlatten keeps the dtype (int64, float64, bool) and the device (meta too)."""
    shape = _shape(rng, 3)
    X = torch.randint(-9, 9, shape, generator=rng).to(device).transpose(0, 2)
    _flatten(student, X, 1, "MyFlatten() on an int64 tensor")
    _flatten(student, torch.randn(*shape, generator=rng, dtype=torch.float64).to(device), 1,
             "MyFlatten() on a float64 tensor")
    _flatten(student, torch.rand(*shape, generator=rng).to(device) > 0.5, 1, "MyFlatten() on a bool tensor")
    h = student.new("MyFlatten", 1, _forbid=NO_FLATTEN)
    got = expect.tensor(h(specs.strided(torch.empty(*shape, device="meta").transpose(1, 2)), _forbid=NO_FLATTEN),
                        "MyFlatten() on a meta tensor")
    expect.true(got.device.type == "meta" and tuple(got.shape) == (shape[0], shape[1] * shape[2]),
                f"MyFlatten() on a meta tensor of shape {(shape[0], shape[2], shape[1])} gave shape "
                f"{tuple(got.shape)} on {got.device}")
