"""Hidden checks for ch7.batch_norm: batch_norm against the reference, BatchNorm against
nn.BatchNorm1d / nn.BatchNorm2d.

Inputs give every feature its own scale (from 1e-2 to 1e2) and offset, so that the variance
convention, the place of eps (it matters for features with a tiny variance) and the dimensions
the statistics run over all change the result by far more than the tolerance. Momenta are drawn
at random away from 0.5, where the two momentum conventions would agree.

BatchNorm's parameters and buffers are found by role, not by name: in the state_dict the first
two floating length-C entries are the parameters and the next two the buffers (parameters come
first); a parameter called gamma/weight/scale is the scale, beta/bias/shift the shift, a buffer
whose name holds "mean" is the running mean; failing that, they are taken in the order they were
declared (as the exercise text asks).
"""

from __future__ import annotations

import torch
from torch import nn

from grader.checks import check, expect

EXERCISE = "ch7.batch_norm"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "example": "the 3 x 2 example: both columns become [-1.2247, 0, 1.2247]; running mean (0.3, 0.6), variance (1.3, 2.5)",
    "momentum_example": "momentum is the weight of the new batch (PyTorch's convention): 0.9 gives (2.7, 5.4), (3.7, 14.5)",
    "channels_example": "on (N, C, H, W) input every channel of Y has mean 0 and biased variance about 1",
    "eval_example": "in evaluation mode Y = gamma * (X - running_mean) / sqrt(running_var + eps) + beta",
    "module_example": "BatchNorm(3, 4) normalises in training mode, moves its running mean by 0.1 of the batch mean "
                      "and uses the running statistics in eval mode",
    "training_output": "in training mode Y normalises each feature (2-D) or channel (4-D) with the batch mean and the "
                       "biased variance, eps inside the square root",
    "running_statistics": "running = (1 - m) * running + m * batch, with the unbiased batch variance",
    "eval_mode": "in evaluation mode Y uses the running statistics, which come back unchanged",
    "dtype_device": "Y and the running statistics keep X's dtype and device",
    "bad_rank": "ValueError for inputs that are not 2-D or 4-D, in both modes",
    "single_value": "ValueError in training mode when a feature has a single value in the batch",
    "arguments_unchanged": "batch_norm never modifies its arguments in place",
    "module_state": "BatchNorm holds two parameters (ones, zeros) and two buffers (zeros, ones) of length num_features",
    "module_training": "in training mode BatchNorm matches nn.BatchNorm1d / 2d, running statistics included",
    "module_eval": "in eval mode BatchNorm matches torch's layer and leaves its running statistics alone",
    "module_backward": "gradients of the scale, the shift and the input match torch's",
    "module_no_autograd": "the running statistics carry no autograd history",
    "module_moves": "BatchNorm.to() moves the running statistics too",
    "module_num_dims": "BatchNorm raises ValueError for num_dims other than 2 and 4",
}

BUILTIN_NORMS = ["batch_norm", "native_batch_norm", "_native_batch_norm_legit",
                 "_native_batch_norm_legit_no_training", "_batch_norm_impl_index",
                 "cudnn_batch_norm", "instance_norm", "layer_norm", "group_norm"]
# Correct solutions compute the statistics in other orders (torch.var, loops, scale-and-shift
# forms); the outputs are of size 1, and the mistakes looked for change them by 1e-2 or more.
TOL = {"rtol": 1e-4, "atol": 1e-4}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _momentum(rng: torch.Generator) -> float:
    """A momentum in [0.05, 0.3] or [0.7, 0.95]: never near 0.5, where m and 1 - m look alike."""
    m = 0.05 + 0.25 * float(torch.rand(1, generator=rng))
    return m if float(torch.rand(1, generator=rng)) < 0.5 else 1.0 - m


def _features(rng: torch.Generator, shape: tuple[int, ...], constant: bool = False) -> torch.Tensor:
    """Random input whose channels (dim 1) have scales from 1e-2 to 1e2 and offsets of a few scales."""
    C = shape[1]
    view = (1, C) + (1,) * (len(shape) - 2)
    scale = 10.0 ** (torch.rand(C, generator=rng) * 4 - 2)
    offset = torch.randn(C, generator=rng) * 3 * scale + torch.randn(C, generator=rng) * 0.3
    X = torch.randn(shape, generator=rng) * scale.view(view) + offset.view(view)
    if constant:   # one feature constant over the batch: its variance is 0 (a small value, so
        X[:, 0] = 0.375  # that rounding in the mean is not blown up by 1 / sqrt(eps))
    return X


def _params(rng: torch.Generator, C: int) -> tuple[torch.Tensor, ...]:
    """gamma, beta, running_mean, running_var (positive)."""
    gamma = torch.randn(C, generator=rng) + 1.0
    beta = torch.randn(C, generator=rng)
    running_mean = torch.randn(C, generator=rng)
    running_var = 0.5 + torch.rand(C, generator=rng) * 2
    return gamma, beta, running_mean, running_var


def _cases(rng: torch.Generator) -> list[tuple[int, ...]]:
    """A few (N, C) and (N, C, H, W) shapes with non-square images and small batches."""
    return [(_int(rng, 5, 12), _int(rng, 3, 6)), (2, _int(rng, 2, 4)),
            (_int(rng, 2, 4), _int(rng, 2, 4), _int(rng, 2, 4), _int(rng, 5, 6)),
            (1, _int(rng, 2, 3), 3, 2)]


# ---------------------------------------------------------------- batch_norm

@check(points=3, clause="training_output")
def test_training_output(student, reference, device, rng):
    """In training mode batch_norm normalises each feature (2-D) or channel (4-D) with the batch statistics."""
    for k, shape in enumerate(_cases(rng)):
        X = _features(rng, shape, constant=(k == 0)).to(device)
        args = [t.to(device) for t in _params(rng, shape[1])]
        kwargs = {} if k % 2 == 0 else {"eps": 1e-3, "momentum": _momentum(rng)}
        got = student.batch_norm(X, *args, training=True, **kwargs)
        expect.true(type(got) in (tuple, list) and len(got) == 3,
                    "batch_norm should return a tuple (Y, new_running_mean, new_running_var)")
        expected = reference.batch_norm(X, *args, training=True, **kwargs)[0]
        expect.close(got[0], expected, what=f"Y of batch_norm in training mode, input {shape}, {kwargs or 'defaults'}", **TOL)


@check(points=3, clause="running_statistics")
def test_running_statistics(student, reference, device, rng):
    """In training mode the running statistics become (1 - m) * running + m * batch (unbiased variance)."""
    for k, shape in enumerate(_cases(rng)):
        X = _features(rng, shape).to(device)
        args = [t.to(device) for t in _params(rng, shape[1])]
        kwargs = {} if k == 0 else {"momentum": _momentum(rng)}
        got = student.batch_norm(X, *args, training=True, **kwargs)
        expect.true(type(got) in (tuple, list) and len(got) == 3,
                    "batch_norm should return a tuple (Y, new_running_mean, new_running_var)")
        _, mean, var = reference.batch_norm(X, *args, training=True, **kwargs)
        what = f"input {shape}, momentum {kwargs.get('momentum', 'default')}"
        expect.close(got[1], mean, what=f"new running mean ({what})")
        expect.close(got[2], var, what=f"new running variance ({what})")


@check(points=2, clause="eval_mode")
def test_eval_mode(student, reference, device, rng):
    """In evaluation mode batch_norm normalises with the running statistics and returns them unchanged."""
    for k, shape in enumerate(_cases(rng)[:3] + [(1, 3), (1, 2, 1, 1)]):
        X = _features(rng, shape).to(device)
        gamma, beta, mean, var = [t.to(device) for t in _params(rng, shape[1])]
        kwargs = {} if k % 2 == 0 else {"eps": 1e-2, "momentum": _momentum(rng)}
        got = student.batch_norm(X, gamma, beta, mean, var, training=False, **kwargs)
        expect.true(type(got) in (tuple, list) and len(got) == 3,
                    "batch_norm should return a tuple (Y, new_running_mean, new_running_var)")
        expected = reference.batch_norm(X, gamma, beta, mean, var, training=False, **kwargs)[0]
        expect.close(got[0], expected, what=f"Y of batch_norm in evaluation mode, input {shape}", **TOL)
        expect.close(got[1], mean, what=f"running mean returned in evaluation mode, input {shape}")
        expect.close(got[2], var, what=f"running variance returned in evaluation mode, input {shape}")


@check(points=1, clause="dtype_device")
def test_dtype_and_device(student, reference, device, rng):
    """batch_norm keeps float64 and the input's device (meta tensors included), in both modes."""
    X = _features(rng, (6, 3, 2, 3)).double().to(device)
    args = [t.double().to(device) for t in _params(rng, 3)]
    for training in (True, False):
        got = student.batch_norm(X, *args, training=training)
        expect.close(got, reference.batch_norm(X, *args, training=training),
                     what=f"batch_norm on float64 input (training={training})")
    meta = [t.to("meta") for t in [X.float()] + [a.float() for a in args]]
    for training in (True, False):
        got = student.batch_norm(*meta, training=training)
        expect.true(type(got) in (tuple, list) and len(got) == 3,
                    "batch_norm should return a tuple (Y, new_running_mean, new_running_var)")
        for name, value, shape in zip(("Y", "new_running_mean", "new_running_var"), got,
                                      ((6, 3, 2, 3), (3,), (3,))):
            t = expect.tensor(value, what=f"{name} for meta inputs")
            expect.true(t.device.type == "meta",
                        f"batch_norm on 'meta' tensors (training={training}) returned {name} on {t.device}: "
                        "create every tensor on the input's device")
            expect.shape(t, shape, what=f"{name} for meta inputs")
            expect.dtype(t, torch.float32, what=f"{name} for meta inputs")


@check(points=1, clause="bad_rank")
def test_bad_rank_raises(student, device, rng):
    """batch_norm raises ValueError for inputs that are not 2-D or 4-D."""
    args = [t.to(device) for t in _params(rng, 3)]
    for shape in ((3,), (4, 3, 5), (2, 3, 2, 2, 2)):
        X = torch.randn(shape, generator=rng).to(device)
        for training in (True, False):
            with expect.raises(ValueError, what=f"batch_norm on a {len(shape)}-D input (training={training})"):
                student.batch_norm(X, *args, training=training)


@check(points=1, clause="single_value")
def test_single_value_per_feature(student, reference, device, rng):
    """Training with one value per feature raises ValueError; evaluation mode and 1 x 2 images still work."""
    args = [t.to(device) for t in _params(rng, 3)]
    for shape in ((1, 3), (1, 3, 1, 1)):
        X = torch.randn(shape, generator=rng).to(device)
        with expect.raises(ValueError, what=f"batch_norm(X of shape {shape}, training=True)"):
            student.batch_norm(X, *args, training=True)
    X = torch.randn(1, 3, 1, 2, generator=rng).to(device)
    expect.close(student.batch_norm(X, *args, training=True),
                 reference.batch_norm(X, *args, training=True), **TOL,
                 what="batch_norm on one 1x2 image in training mode (two values per channel)")


@check(points=1, clause="arguments_unchanged")
def test_arguments_unchanged(student, device, rng):
    """batch_norm leaves X, gamma, beta and the running statistics it was given unchanged."""
    X = _features(rng, (5, 4)).to(device)
    args = [t.to(device) for t in _params(rng, 4)]
    for training in (True, False):
        _, records = student.call_recorded("batch_norm", X, *args, momentum=0.3, training=training)
        for name, before, after in zip(("X", "gamma", "beta", "running_mean", "running_var"),
                                       [X] + args, records["args_after"]):
            expect.equal(after, before, what=f"{name} after batch_norm(..., training={training})")


# ---------------------------------------------------------------- BatchNorm

def _param_names(h, C: int, num_dims: int) -> list[str]:
    """Names of the handle's parameters (the keys of its gradients), from a backward in eval mode."""
    h.eval()
    X = torch.randn((3, C) + (2,) * (num_dims - 2))
    params = list(h.backward(X)["grads"])
    h.train(True)
    return params


def _roles(sd: dict, C: int, num_dims: int) -> dict[str, str]:
    """Names of the scale, shift, running mean and running variance in a BatchNorm state_dict.

    A module's state_dict lists its parameters before its buffers, so the first two floating
    length-C entries are the parameters and the next two the running statistics (whether they
    really are buffers is test_module_parameters_and_buffers's business).
    """
    entries = [k for k, v in sd.items() if v.is_floating_point() and tuple(v.shape) == (C,)]
    expect.true(len(entries) == 4,
                f"BatchNorm({C}, {num_dims})'s state_dict holds {len(entries)} floating tensors of length "
                f"{C} ({entries}); it should hold four: scale, shift, running mean, running variance "
                "(register the running statistics with register_buffer)")
    params, buffers = entries[:2], entries[2:]
    roles = {"scale": params[0], "shift": params[1], "mean": buffers[0], "var": buffers[1]}
    low = {n: n.rsplit(".", 1)[-1].lower() for n in entries}
    for role, names, other in (("scale", ("gamma", "weight", "scale"), "shift"),
                               ("shift", ("beta", "bias", "shift"), "scale")):
        hits = [n for n in params if low[n] in names]
        if len(hits) == 1:
            roles[role] = hits[0]
            roles[other] = [n for n in params if n != hits[0]][0]
            break
    means = [n for n in buffers if "mean" in low[n]]
    if len(means) == 1:
        roles["mean"] = means[0]
        roles["var"] = [n for n in buffers if n != means[0]][0]
    return roles


def _pair(student, C: int, num_dims: int, device: torch.device, rng: torch.Generator):
    """A student BatchNorm and a torch one with the same random scale and shift, on `device`."""
    h = student.BatchNorm(C, num_dims)  # a new module is in training mode
    if torch.device(device).type != "cpu":  # built on the CPU: one call less there
        h.to(device)
    sd = h.state_dict()
    roles = _roles(sd, C, num_dims)
    ref = (nn.BatchNorm1d if num_dims == 2 else nn.BatchNorm2d)(C).to(device)
    with torch.no_grad():
        ref.weight.copy_(torch.randn(C, generator=rng) + 1)
        ref.bias.copy_(torch.randn(C, generator=rng))
    sd[roles["scale"]] = ref.weight.detach().clone()
    sd[roles["shift"]] = ref.bias.detach().clone()
    h.load_state_dict(sd)
    return h, ref, roles


def _module_shapes(rng: torch.Generator) -> list[tuple[int, tuple[int, ...]]]:
    return [(2, (_int(rng, 6, 10), 4)), (4, (_int(rng, 2, 4), 3, _int(rng, 2, 4), 5))]


@check(points=2, clause="module_state")
def test_module_parameters_and_buffers(student, device, rng):
    """BatchNorm holds two parameters (ones, zeros) and two buffers (zeros, ones) of length num_features."""
    for C, num_dims in ((_int(rng, 3, 7), 2), (_int(rng, 3, 7), 4)):
        h = student.BatchNorm(C, num_dims)
        expect.equal(h.num_params(), 2 * C, what=f"trainable parameters of BatchNorm({C}, {num_dims})")
        sd = h.state_dict()
        roles = _roles(sd, C, num_dims)
        params = _param_names(h, C, num_dims)
        expect.true(sorted(params) == sorted([roles["scale"], roles["shift"]]),
                    f"BatchNorm({C}, {num_dims})'s parameters are {params}; it should have exactly two, "
                    "the scale and the shift: the running statistics are buffers, not parameters")
        for role, value in (("scale", 1.0), ("shift", 0.0), ("mean", 0.0), ("var", 1.0)):
            expect.equal(sd[roles[role]], torch.full((C,), value),
                         what=f"initial {roles[role]} of BatchNorm({C}, {num_dims})")


@check(points=3, clause="module_training")
def test_module_training_matches_torch(student, device, rng):
    """In training mode BatchNorm matches nn.BatchNorm1d / nn.BatchNorm2d over two steps, running statistics included."""
    for num_dims, shape in _module_shapes(rng):
        C = shape[1]
        h, ref, roles = _pair(student, C, num_dims, device, rng)
        ref.train()
        for step in range(2):
            X = _features(rng, shape).to(device)
            with torch.no_grad():
                expected = ref(X)
            expect.close(h(X, _forbid=BUILTIN_NORMS), expected, **TOL,
                         what=f"BatchNorm({C}, {num_dims}) output at training step {step + 1}")
        sd = h.state_dict()
        expect.close(sd[roles["mean"]], ref.running_mean,
                     what=f"running mean of BatchNorm({C}, {num_dims}) after two training steps")
        expect.close(sd[roles["var"]], ref.running_var,
                     what=f"running variance of BatchNorm({C}, {num_dims}) after two training steps")


@check(points=2, clause="module_eval")
def test_module_eval_matches_torch(student, device, rng):
    """After a training step, BatchNorm in eval mode matches torch's layer and leaves its running statistics alone."""
    for num_dims, shape in _module_shapes(rng)[1:]:
        C = shape[1]
        h, ref, roles = _pair(student, C, num_dims, device, rng)
        ref.train()
        for _ in range(1):
            X = _features(rng, shape).to(device)
            h(X)
            with torch.no_grad():
                ref(X)
        h.eval()
        ref.eval()
        before = h.state_dict()
        for n in (1, 3):
            X = _features(rng, (n,) + shape[1:]).to(device)
            with torch.no_grad():
                expected = ref(X)
            expect.close(h(X, _forbid=BUILTIN_NORMS), expected, **TOL,
                         what=f"BatchNorm({C}, {num_dims}) output in eval mode for a batch of {n}")
        after = h.state_dict()
        for role in ("mean", "var"):
            expect.equal(after[roles[role]], before[roles[role]],
                         what=f"{roles[role]} of BatchNorm({C}, {num_dims}) after forward passes in eval mode")


@check(points=2, clause="module_backward")
def test_module_backward_matches_torch(student, device, rng):
    """Gradients of BatchNorm's scale, shift and input match nn.BatchNorm's in training mode."""
    for num_dims, shape in _module_shapes(rng)[1:]:
        C = shape[1]
        h, ref, roles = _pair(student, C, num_dims, device, rng)
        ref.train()
        X = _features(rng, shape).to(device)
        G = torch.randn(shape, generator=rng).to(device)
        got = h.backward(X, grad_output=G, _forbid=BUILTIN_NORMS)
        Xr = X.clone().requires_grad_(True)
        ref(Xr).backward(G)
        what = f"BatchNorm({C}, {num_dims})"
        expect.true(got["grads"].get(roles["scale"]) is not None, f"no gradient reached {what}.{roles['scale']}")
        expect.true(got["grads"].get(roles["shift"]) is not None, f"no gradient reached {what}.{roles['shift']}")
        expect.close(got["grads"][roles["scale"]], ref.weight.grad, what=f"gradient of {what}'s scale", **TOL)
        expect.close(got["grads"][roles["shift"]], ref.bias.grad, what=f"gradient of {what}'s shift", **TOL)
        expect.close(got["input_grads"][0], Xr.grad, what=f"gradient of {what}'s input", **TOL)


@check(points=1, clause="module_no_autograd")
def test_module_statistics_outside_autograd(student, device, rng):
    """The running statistics carry no autograd history: backward in eval mode after a training backward works."""
    for num_dims, shape in _module_shapes(rng)[:1]:
        C = shape[1]
        h, ref, roles = _pair(student, C, num_dims, device, rng)
        ref.train()
        X = _features(rng, shape).to(device)
        h.backward(X)
        ref(X.clone().requires_grad_(True)).sum().backward()
        h.eval()
        ref.eval()
        X2 = _features(rng, shape).to(device)
        got = h.backward(X2)
        Xr = X2.clone().requires_grad_(True)
        expect.close(got["output"], ref(Xr).detach(), what=f"BatchNorm({C}, {num_dims}) output in eval mode", **TOL)
        ref(Xr).sum().backward()
        expect.close(got["input_grads"][0], Xr.grad, what="gradient of the input in eval mode", **TOL)


@check(points=1, clause="module_moves")
def test_module_moves_with_to(student, device, rng):
    """BatchNorm.to('meta') moves the running statistics too; forward keeps the meta device in both modes."""
    for C, num_dims, shape in ((2, 4, (2, 2, 3, 3)),):
        h = student.BatchNorm(C, num_dims)
        h.to("meta")
        for training in (True, False):
            h.train(training)
            Y = expect.tensor(h(torch.empty(shape, device="meta")), what=f"BatchNorm({C}, {num_dims}) output")
            expect.true(Y.device.type == "meta" and tuple(Y.shape) == shape,
                        f"BatchNorm({C}, {num_dims}) moved to 'meta' returned a tensor of shape "
                        f"{tuple(Y.shape)} on {Y.device} (training={training})")
        for name, value in h.state_dict().items():
            expect.true(value.device.type == "meta",
                        f"after BatchNorm.to('meta'), {name} is on {value.device}: register the running "
                        "statistics as buffers so that .to() moves them")


@check(points=1, clause="module_num_dims")
def test_module_bad_num_dims(student):
    """BatchNorm(num_features, num_dims) raises ValueError for num_dims other than 2 and 4."""
    for num_dims in (1, 3, 5):
        with expect.raises(ValueError, what=f"BatchNorm(3, {num_dims})"):
            student.BatchNorm(3, num_dims)
