"""Hidden checks for ch6.convolution: corr2d, Conv2D and learn_kernel against the reference.

Shapes are drawn from `rng` with kernels that are mostly not square, so a solution that reads
the kernel height twice, flips the kernel or stops one position early cannot match. Gradients
through corr2d are observed with the Conv2D handle's backward (only plain data crosses, so a
tensor that requires grad cannot be sent); learn_kernel's whole trajectory (starting kernel
from the seeded Conv2D init, losses, learned kernel) is compared under the same `_seed`.
"""

from __future__ import annotations

import torch

from grader.checks import check, expect, reference_call

EXERCISE = "ch6.convolution"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "corr2d_example": "corr2d gives the worked 3x3 / 2x2 example and finds the vertical edges of the text's image",
    "corr2d_tall_wide_example": "corr2d handles a tall, a wide and a full-size kernel, as worked out in the text",
    "corr2d_error_example": "corr2d raises ValueError when the kernel is taller or wider than the input",
    "corr2d_any": "corr2d is the valid cross-correlation (no flip) for any shapes, kernels not square",
    "corr2d_extremes": "square, 1x1, single-row and single-column kernels and inputs, and a kernel as large as X",
    "corr2d_dtype": "corr2d's output has X's dtype (float64, float16)",
    "corr2d_device": "corr2d creates its output on X's device",
    "conv2d_example": "Conv2D((2, 3)) has a (2, 3) weight in [0, 1) and a zero (1,) bias, and computes "
                      "corr2d(x, weight) + bias",
    "conv2d_init": "Conv2D's parameters are exactly weight = torch.rand(kernel_size) and bias = zeros(1)",
    "conv2d_gradients": "gradients flow through Conv2D (hence corr2d, built by hand) to the input, the weight and "
                        "the bias",
    "learn_example": "learn_kernel recovers [[1, -1]] from the edge image in 10 steps, returning 10 Python floats",
    "learn_trajectory": "learn_kernel follows the reference exactly: Conv2D first, summed squared error, zero_grad, "
                        "backward, a weight-only step under no_grad, the loss before each update",
    "learn_dtype_device": "the learned kernel is a float32 tensor on X's device, with finite values",
    "learn_moves_layer": "learn_kernel moves its layer to X's device",
}

# The layer and the training loop must use the hand-written corr2d, not a built-in convolution
# (course.toml bans these for corr2d itself; here they are banned for the calls that go through it).
NO_CONV = ["conv1d", "conv2d", "conv3d", "convolution", "_convolution", "conv_transpose2d",
           "cudnn_convolution"]
# Summation order differs between correct solutions (loops over outputs or offsets, unfold).
SUM_TOL = {"rtol": 1e-5, "atol": 1e-5}
# A trajectory of several gradient steps amplifies rounding differences a little.
TRAJ_TOL = {"rtol": 1e-4, "atol": 1e-4}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _non_square_shapes(rng: torch.Generator, count: int) -> list[tuple[int, int, int, int]]:
    """(h, w, kh, kw) with kh != kw, both orientations, and h != w."""
    shapes = []
    for k in range(count):
        h, w = _int(rng, 3, 9), _int(rng, 3, 9)
        if h == w:
            w += 1
        kh, kw = _int(rng, 1, h), _int(rng, 1, w)
        if kh == kw:
            if kh < h:
                kh += 1
            else:
                kw -= 1
        if (k % 2 == 0) == (kh < kw):   # alternate tall and wide kernels
            if kw <= h and kh <= w:
                kh, kw = kw, kh
        shapes.append((h, w, kh, kw))
    return shapes


def _reference_layer(reference, kernel_size: tuple[int, int], seed: int):
    """The reference Conv2D as the student's is built under `_seed` (without touching our RNG)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return reference.Conv2D(kernel_size)


# ---------------------------------------------------------------- corr2d

@check(points=3, clause="corr2d_any")
def test_corr2d_random_non_square(student, reference, device, rng):
    """corr2d matches the reference on random inputs with tall and wide (non-square) kernels."""
    for h, w, kh, kw in _non_square_shapes(rng, 6):
        X = torch.randn(h, w, generator=rng).to(device)
        K = torch.randn(kh, kw, generator=rng).to(device)
        expect.close(student.corr2d(X, K), reference.corr2d(X, K), **SUM_TOL,
                     what=f"corr2d of a {h}x{w} input with a {kh}x{kw} kernel")


@check(points=2, clause="corr2d_extremes")
def test_corr2d_square_and_extremes(student, reference, device, rng):
    """corr2d handles square kernels, 1x1 kernels, single rows or columns, and a kernel as large as X."""
    h, w = _int(rng, 4, 8), _int(rng, 4, 8)
    k = _int(rng, 2, min(h, w))
    cases = [(h, w, k, k), (h, w, 1, 1), (1, w, 1, _int(rng, 2, w)), (h, 1, _int(rng, 2, h), 1),
             (h, w, h, w), (h, w, h, 1), (h, w, 1, w)]
    for h_, w_, kh, kw in cases:
        X = torch.randn(h_, w_, generator=rng).to(device)
        K = torch.randn(kh, kw, generator=rng).to(device)
        expect.close(student.corr2d(X, K), reference.corr2d(X, K), **SUM_TOL,
                     what=f"corr2d of a {h_}x{w_} input with a {kh}x{kw} kernel")


@check(points=1, clause="corr2d_dtype")
def test_corr2d_keeps_dtype_and_device(student, reference, device, rng):
    """corr2d returns a tensor with the dtype of its input: float64, and float16 (which float32 zeros would promote)."""
    h, w, kh, kw = _non_square_shapes(rng, 1)[0]
    for dtype in (torch.float64, torch.float16):
        X = torch.randn(h, w, generator=rng).to(dtype).to(device)
        K = torch.randn(kh, kw, generator=rng).to(dtype).to(device)
        got = expect.tensor(student.corr2d(X, K), f"corr2d of {dtype} tensors")
        expect.dtype(got, dtype, f"corr2d of {dtype} tensors ({h}x{w} input, {kh}x{kw} kernel)")
        expect.close(got, reference.corr2d(X, K), **({} if dtype == torch.float64 else {"rtol": 1e-2, "atol": 1e-2}),
                     what=f"corr2d of {dtype} tensors ({h}x{w} input, {kh}x{kw} kernel)")


@check(points=1, clause="corr2d_device")
def test_corr2d_keeps_the_device(student, rng):
    """corr2d creates its output on its input's device (checked on the 'meta' device, so no GPU is needed)."""
    h, w, kh, kw = _non_square_shapes(rng, 1)[0]
    X, K = torch.empty(h, w, device="meta"), torch.empty(kh, kw, device="meta")
    out = expect.keeps_meta_device(lambda: student.corr2d(X, K, _forbid=NO_CONV),
                                   f"corr2d of a {h}x{w} input and a {kh}x{kw} kernel")
    expect.shape(out, (h - kh + 1, w - kw + 1), f"corr2d of a {h}x{w} input and a {kh}x{kw} kernel")


# ---------------------------------------------------------------- Conv2D

@check(points=2, clause="conv2d_init")
def test_conv2d_parameters_and_init(student, reference, device, rng):
    """Conv2D has parameters weight (kernel_size, torch.rand init) and bias ((1,), zeros)."""
    kh, kw = _int(rng, 1, 4), _int(rng, 1, 4)
    if kh == kw:
        kw += 1
    seed = _int(rng, 0, 10_000)
    layer = student.new("Conv2D", (kh, kw), _seed=seed)
    state = layer.state_dict()
    expect.true(type(state) is dict and set(state) == {"weight", "bias"},
                "Conv2D's parameters must be exactly 'weight' and 'bias'")
    expect.equal(layer.num_params(), kh * kw + 1, what=f"trainable parameters of Conv2D(({kh}, {kw}))")
    ref = _reference_layer(reference, (kh, kw), seed).state_dict()
    expect.equal(state["bias"], ref["bias"], what="Conv2D's initial bias")
    expect.close(state["weight"], ref["weight"], what="Conv2D's initial weight (torch.rand(kernel_size))")


@check(points=3, clause="conv2d_gradients")
def test_conv2d_gradients(student, reference, device, rng):
    """Gradients through Conv2D (hence corr2d) w.r.t. the input, the kernel and the bias match the reference."""
    for h, w, kh, kw in _non_square_shapes(rng, 2):
        weight = torch.randn(kh, kw, generator=rng).to(device)
        bias = torch.randn(1, generator=rng).to(device)
        X = torch.randn(h, w, generator=rng).to(device)
        G = torch.randn(h - kh + 1, w - kw + 1, generator=rng).to(device)
        layer = student.new("Conv2D", (kh, kw))
        layer.to(device)
        layer.load_state_dict({"weight": weight, "bias": bias})
        got = layer.backward(X, grad_output=G, _forbid=NO_CONV)

        ref = reference.Conv2D((kh, kw)).to(device)
        with torch.no_grad():
            ref.weight.copy_(weight)
            ref.bias.copy_(bias)
        Xr = X.clone().requires_grad_(True)
        ref(Xr).backward(G)
        what = f"Conv2D on a {h}x{w} input with a {kh}x{kw} kernel"
        grads = got["grads"] if type(got) is dict and type(got.get("grads")) is dict else {}
        for name, expected in (("weight", ref.weight.grad), ("bias", ref.bias.grad)):
            expect.true(grads.get(name) is not None,
                        f"{what}: no gradient reached the {name}; keep the computation differentiable")
            expect.close(grads[name], expected, **SUM_TOL, what=f"{what}: gradient of the {name}")
        input_grads = got.get("input_grads") or [None]
        expect.true(input_grads[0] is not None,
                    f"{what}: no gradient reached the input; keep the computation differentiable")
        expect.close(input_grads[0], Xr.grad, **SUM_TOL, what=f"{what}: gradient of the input")


# ---------------------------------------------------------------- learn_kernel

def _check_learned(got, exp, what: str) -> None:
    expect.true(type(got) in (tuple, list) and len(got) == 2,
                f"{what}: learn_kernel must return a pair (kernel, losses)")
    kernel, losses = got
    expect.true(type(losses) is list and all(type(v) is float for v in losses),
                f"{what}: losses must be a list of Python floats")
    expect.equal(len(losses), len(exp[1]), what=f"{what}: number of losses")
    expect.close(losses, list(exp[1]), **TRAJ_TOL, what=f"{what}: losses per iteration")
    expect.close(kernel, exp[0], **TRAJ_TOL, what=f"{what}: learned kernel")


@check(points=3, clause="learn_trajectory")
def test_learn_kernel_random_targets(student, reference, device, rng):
    """learn_kernel matches the reference trajectory for random images and non-square true kernels."""
    for h, w, kh, kw in _non_square_shapes(rng, 2):
        X = torch.randn(h + 2, w + 2, generator=rng).to(device)
        K = torch.randn(kh, kw, generator=rng).to(device)
        Y = reference.corr2d(X, K)
        # A step safely below 1 / (largest curvature) of the summed squared error.
        lr = float(0.4 / (2 * X.pow(2).sum()))
        num_iters, seed = _int(rng, 3, 7), _int(rng, 0, 10_000)
        got = student.learn_kernel(X, Y, (kh, kw), num_iters=num_iters, lr=lr, _seed=seed, _forbid=NO_CONV)
        exp, _ = reference_call(reference.learn_kernel, X, Y, (kh, kw), num_iters=num_iters, lr=lr,
                                _seed=seed)
        _check_learned(got, exp, f"{kh}x{kw} kernel, {num_iters} iterations")


@check(points=1, clause="learn_dtype_device")
def test_learn_kernel_returns_plain_results(student, reference, device, rng):
    """learn_kernel returns a float32 kernel on X's device with finite values."""
    h, w, kh, kw = _non_square_shapes(rng, 1)[0]
    X = torch.randn(h, w, generator=rng).to(device)
    Y = torch.randn(h - kh + 1, w - kw + 1, generator=rng).to(device)
    got = student.learn_kernel(X, Y, (kh, kw), num_iters=2, lr=1e-3, _seed=_int(rng, 0, 10_000))
    expect.true(type(got) in (tuple, list) and len(got) == 2, "learn_kernel must return a pair (kernel, losses)")
    kernel = expect.tensor(got[0], what="the learned kernel")
    expect.dtype(kernel, torch.float32, what="the learned kernel")
    expect.true(kernel.device == torch.empty(0, device=device).device,
                f"the learned kernel is on {kernel.device}, expected {device} (the device of X)")
    expect.finite(kernel, what="the learned kernel")


@check(points=1, clause="learn_moves_layer")
def test_learn_kernel_moves_its_layer(student, rng):
    """learn_kernel puts its Conv2D on X's device (checked on the 'meta' device, so no GPU is needed)."""
    h, w, kh, kw = _non_square_shapes(rng, 1)[0]
    X = torch.empty(h, w, device="meta")
    Y = torch.empty(h - kh + 1, w - kw + 1, device="meta")
    seed = _int(rng, 0, 10_000)
    # Only learn_kernel's own slip costs this check: with a corr2d that leaves the device
    # (charged by test_corr2d_keeps_the_device alone) it asks only that learn_kernel runs on the CPU.
    try:
        out = student.corr2d(X, torch.empty(kh, kw, device="meta"), _forbid=NO_CONV)
        corr2d_keeps_device = isinstance(out, torch.Tensor) and out.device.type == "meta"
    except Exception:  # noqa: BLE001 - corr2d's own checks say what is wrong
        corr2d_keeps_device = False
    if not corr2d_keeps_device:
        got = student.learn_kernel(torch.randn(h, w, generator=rng), torch.randn(h - kh + 1, w - kw + 1, generator=rng),
                                   (kh, kw), num_iters=2, lr=1e-3, _seed=seed, _forbid=NO_CONV)
        expect.true(type(got) in (tuple, list) and len(got) == 2, "learn_kernel must return a pair (kernel, losses)")
        return
    expect.runs_on_meta_device(
        lambda: student.learn_kernel(X, Y, (kh, kw), num_iters=2, lr=1e-3, _seed=seed, _forbid=NO_CONV),
        f"learn_kernel(X, Y, ({kh}, {kw})) with X on the 'meta' device")
