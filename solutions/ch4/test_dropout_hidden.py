"""Hidden checks for ch4.dropout.

Dropout is random, so nothing here compares with the reference entry by entry. The checks test
what every correct implementation shares: each output entry is exactly 0 or x / (1 - p), the
share of kept entries is 1 - p (within several standard deviations on large tensors), masks are
not shared between rows or calls, and the network places dropout where the exercise says. Every
random call passes `_seed`, so a given submission always gets the same score.
"""

from __future__ import annotations

import math

import torch

from grader.checks import check, expect, specs

EXERCISE = "ch4.dropout"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "worked_example": "with p = 0.5 every entry is 0 or doubled, and about half of a large tensor survives",
    "rule": "every entry is 0 or x / (1 - p), for any p in (0, 1)",
    "keep_share": "each entry is kept with probability 1 - p (the share of survivors is 1 - p)",
    "p_zero": "p = 0 returns the input's values",
    "p_one": "p = 1 returns exact zeros (no NaN from 0 / 0), in the input's dtype",
    "value_error": "a probability outside [0, 1] raises ValueError",
    "shape_dtype": "any shape, and the input's dtype (float16, float32, float64) kept",
    "new_tensor": "a new tensor is returned and the input itself is left unchanged",
    "independent": "every entry gets its own random decision (rows, columns and calls differ)",
    "device": "the mask is drawn on the input's device",
    "mlp_names": "DropoutMLP's layers are named lin1, lin2, lin3",
    "mlp_layers": "lin1, lin2, lin3 are Linear layers of the requested sizes, and no built-in dropout module",
    "mlp_eval_plain": "in eval mode DropoutMLP is the plain MLP (ReLU after lin1 and lin2) of the flattened input",
    "mlp_training_random": "in training mode DropoutMLP drops units: two calls differ",
    "mlp_training_p_zero": "in training mode with both probabilities 0 the output is the plain MLP",
    "mlp_placement": "dropout1 acts after the first hidden layer, dropout2 after the second, never on the output",
    "mlp_first_rate": "the first hidden layer is dropped with dropout1 and rescaled by 1 / (1 - dropout1)",
    "mlp_second_rate": "the second hidden layer is dropped with dropout2 and rescaled by 1 / (1 - dropout2)",
    "mlp_backward": "backpropagation through DropoutMLP in training mode works (no in-place change of its input)",
}

# Bounds of several standard deviations: a correct implementation fails them with a probability
# far below one in a million, a wrong keep probability (p instead of 1 - p) fails them always.
SIGMAS = 6.0

# DropoutMLP must use the student's own dropout_layer: built-in dropout is banned in its forward too.
NO_BUILTIN_DROPOUT = ["dropout", "native_dropout", "feature_dropout", "alpha_dropout",
                      "dropout1d", "dropout2d", "dropout3d"]


def _nonzero_input(rng: torch.Generator, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Random values bounded away from 0, so that a zero in the output can only mean 'dropped'."""
    magnitude = 0.5 + torch.rand(*shape, generator=rng)
    sign = torch.where(torch.rand(*shape, generator=rng) < 0.5, -1.0, 1.0)
    return (magnitude * sign).to(dtype)


def _expect_dropped(got: object, X: torch.Tensor, p: float, what: str,
                    rtol: float | None = None) -> torch.Tensor:
    """Every entry of `got` is 0 or X / (1 - p); returns the boolean mask of kept entries."""
    out = expect.tensor(got, what)
    expect.shape(out, X.shape, what)
    expect.dtype(out, X.dtype, what)
    expect.true(out.device == X.device, f"{what}: wrong device: got {out.device}, expected {X.device}")
    expect.finite(out, what)
    kept = out != 0
    scaled = X / (1.0 - p)
    expect.close(out[kept], scaled[kept], rtol=rtol, atol=0.0,
                 what=f"{what}: the entries that were kept (should be x / (1 - p))")
    return kept


def _expect_fraction(kept: torch.Tensor, keep_prob: float, what: str) -> None:
    n = kept.numel()
    frac = float(kept.sum()) / n
    tol = SIGMAS * math.sqrt(keep_prob * (1 - keep_prob) / n)
    expect.true(abs(frac - keep_prob) <= tol,
                f"{what}: kept {frac:.3f} of the entries, expected about {keep_prob:.3f} "
                f"(= 1 - p, within {tol:.3f})")


@check(points=3, clause="rule")
def test_entries_are_zero_or_rescaled(student, device, rng):
    """Every output entry is either 0 or x / (1 - p)."""
    X = _nonzero_input(rng, 300, 400).to(device)
    for p, seed in ((0.3, 11), (0.75, 12)):
        got = student.dropout_layer(X, p, _seed=seed)
        _expect_dropped(got, X, p, f"dropout_layer(X, {p})")


@check(points=2, clause="keep_share")
def test_keep_fraction(student, device, rng):
    """About a fraction 1 - p of the entries survives, for several p."""
    X = _nonzero_input(rng, 250, 400).to(device)
    for p, seed in ((0.2, 21), (0.5, 22), (0.9, 23)):
        kept = _expect_dropped(student.dropout_layer(X, p, _seed=seed), X, p, f"dropout_layer(X, {p})")
        _expect_fraction(kept, 1 - p, f"dropout_layer(X, {p})")


@check(points=2, clause="shape_dtype")
def test_any_shape_and_dtype(student, device, rng):
    """Works on 1-D to 4-D tensors and keeps float64 / float16 dtypes."""
    cases = [((5000,), torch.float32, 0.4), ((6, 5, 7, 9), torch.float64, 0.6),
             ((40, 3, 50), torch.float16, 0.5)]
    for i, (shape, dtype, p) in enumerate(cases):
        X = _nonzero_input(rng, *shape, dtype=dtype).to(device)
        rtol = 2e-3 if dtype == torch.float16 else None
        kept = _expect_dropped(student.dropout_layer(X, p, _seed=61 + i), X, p,
                               f"dropout_layer on a {dtype} tensor of shape {tuple(shape)}", rtol=rtol)
        _expect_fraction(kept, 1 - p, f"dropout_layer on a {dtype} tensor of shape {tuple(shape)}")


@check(points=1, clause="new_tensor")
def test_input_not_modified(student, device, rng):
    """dropout_layer returns a new tensor (for p = 0 too, not X itself) and leaves its input as it was."""
    X = _nonzero_input(rng, 40, 30).to(device)
    for p, seed in ((0.5, 75), (0.0, 76), (1.0, 77)):
        _, records = student.call_recorded("dropout_layer", X, p, _seed=seed)
        expect.equal(records["args_after"][0], X, what=f"X after dropout_layer(X, {p})")
        # the very object back is an alias: the caller's later in-place change would show in it
        _, records = student.call_recorded("dropout_layer", specs.tensor(X.cpu(), label="X"), p, _seed=seed)
        expect.true(not records["X"]["is_result"], f"dropout_layer(X, {p}) returned X itself, not a new tensor")


@check(points=1, clause="independent")
def test_masks_are_independent(student, device, rng):
    """Each entry gets its own random decision: rows, columns and calls get different masks."""
    X = _nonzero_input(rng, 64, 64).to(device)
    first, second = (student.dropout_layer(X, 0.5, _seed=seed) for seed in (71, 72))
    # the shape first: a student's tensor is never walked in Python, and one of the wrong size
    # is not compared at all
    expect.shape(first, tuple(X.shape), "dropout_layer(X, 0.5)")
    expect.shape(second, tuple(X.shape), "dropout_layer(X, 0.5)")
    first, second = first != 0, second != 0
    expect.true(not bool(torch.equal(first, second)),
                "two calls with different random states dropped exactly the same entries")
    distinct_rows = int(torch.unique(first, dim=0).shape[0])
    distinct_cols = int(torch.unique(first, dim=1).shape[1])
    expect.true(distinct_rows > 32 and distinct_cols > 32,
                f"the drop mask repeats across rows or columns ({distinct_rows} distinct rows and "
                f"{distinct_cols} distinct columns out of 64): draw one decision per entry")


@check(points=1, clause="device")
def test_keeps_the_device(student, rng):
    """dropout_layer draws its mask on its input's device (checked on the 'meta' device, so no GPU is needed)."""
    X = torch.empty(6, 5, device="meta")
    out = expect.keeps_meta_device(lambda: student.dropout_layer(X, 0.5, _seed=141), "dropout_layer(X, 0.5)")
    expect.shape(out, (6, 5), "dropout_layer(X, 0.5) on the meta device")


# ------------------------------------------------------------------ DropoutMLP

def _plain_mlp(sd: dict, X: torch.Tensor) -> torch.Tensor:
    """The network without dropout, computed in the judge from the student's own weights."""
    H = X.reshape(X.shape[0], -1)
    H = torch.relu(H @ sd["lin1.weight"].T + sd["lin1.bias"])
    H = torch.relu(H @ sd["lin2.weight"].T + sd["lin2.bias"])
    return H @ sd["lin3.weight"].T + sd["lin3.bias"]


ROLES = ("lin1.weight", "lin1.bias", "lin2.weight", "lin2.bias", "lin3.weight", "lin3.bias")


def _state(h) -> dict:
    """The student's weights under the names lin1.weight ... lin3.bias: by name, or by position
    (the order the layers were created in) when they are named otherwise. Naming is
    test_mlp_layers' business; the other checks test what the network computes."""
    sd = h.state_dict()
    if all(name in sd for name in ROLES):
        return sd
    expect.true(len(sd) == len(ROLES), f"DropoutMLP holds {len(sd)} parameter tensors, expected three "
                "Linear layers lin1, lin2, lin3 (a weight and a bias each) and nothing else")
    return dict(zip(ROLES, sd.values()))


def _load(h, sd: dict) -> None:
    """Load weights given under the names lin1.weight ... into the student's own names."""
    names = list(h.state_dict())
    h.load_state_dict(sd if all(name in names for name in ROLES) else dict(zip(names, (sd[r] for r in ROLES))))


@check(points=1, clause="mlp_layers")
def test_mlp_layers(student, device, rng):
    """DropoutMLP's three Linear layers have the requested sizes, and it holds no built-in dropout module."""
    h = student.DropoutMLP(30, 7, 20, 12, 0.2, 0.5, _seed=201, _input_shape=(2, 30))
    sd = _state(h)   # by name or by position: the names are the visible test_mlp_layer_names' business
    for name, shape in (("lin1.weight", (20, 30)), ("lin2.weight", (12, 20)), ("lin3.weight", (7, 12)),
                        ("lin1.bias", (20,)), ("lin2.bias", (12,)), ("lin3.bias", (7,))):
        expect.shape(sd[name], shape, what=f"state_dict()[{name!r}]")
    builtin_types = {"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"}
    # torch_type: the torch.nn class a module derives from, which a subclass cannot rename
    dropout_modules = [m["name"] for m in h.modules() if m.get("torch_type", m.get("type")) in builtin_types]
    expect.true(not dropout_modules, f"DropoutMLP holds nn.Dropout modules {dropout_modules}: "
                "use your own dropout_layer in forward instead")
    expected_params = 30 * 20 + 20 + 20 * 12 + 12 + 12 * 7 + 7
    got = h.num_params()
    expect.true(got == expected_params, f"DropoutMLP has {got} trainable parameters, expected {expected_params}")


@check(points=2, clause="mlp_eval_plain")
def test_mlp_eval_mode_is_plain_mlp(student, device, rng):
    """In eval mode DropoutMLP is the plain MLP: no dropout, input flattened."""
    h = student.DropoutMLP(24, 6, 32, 16, 0.5, 0.5, _seed=202, _input_shape=(2, 24))
    h.to(device)
    h.eval()
    X = torch.randn(50, 2, 3, 4, generator=rng).to(device)
    expected = _plain_mlp(_state(h), X)
    got = h(X, _seed=81)
    expect.close(got, expected, what="DropoutMLP in eval mode")
    expect.close(h(X, _seed=82), expected, what="DropoutMLP in eval mode, called again")


@check(points=1, clause="mlp_training_p_zero")
def test_mlp_training_with_zero_probabilities(student, device, rng):
    """In training mode with dropout1 = dropout2 = 0 the output is the plain MLP."""
    h = student.DropoutMLP(24, 6, 32, 16, 0.0, 0.0, _seed=203, _input_shape=(2, 24))
    h.to(device)
    h.train(True)
    X = torch.randn(40, 24, generator=rng).to(device)
    expect.close(h(X, _seed=91, _forbid=NO_BUILTIN_DROPOUT), _plain_mlp(_state(h), X),
                 what="DropoutMLP in training mode with p = 0")


@check(points=2, clause="mlp_placement")
def test_mlp_dropout_placement(student, device, rng):
    """dropout1 acts after the first hidden layer and dropout2 after the second, not on the output."""
    X = torch.randn(30, 24, generator=rng).to(device)
    # Everything dropped after hidden layer 1: lin2 sees zeros, every row is lin3(relu(b2)).
    h = student.DropoutMLP(24, 6, 32, 16, 1.0, 0.0, _seed=204, _input_shape=(2, 24))
    h.to(device)
    h.train(True)
    sd = _state(h)
    row = torch.relu(sd["lin2.bias"]) @ sd["lin3.weight"].T + sd["lin3.bias"]
    expect.close(h(X, _seed=101, _forbid=NO_BUILTIN_DROPOUT), row.expand(30, 6).contiguous(),
                 what="DropoutMLP(dropout1=1, dropout2=0) in training mode")
    # Everything dropped after hidden layer 2: lin3 sees zeros, every row is its bias.
    h = student.DropoutMLP(24, 6, 32, 16, 0.0, 1.0, _seed=205, _input_shape=(2, 24))
    h.to(device)
    h.train(True)
    sd = _state(h)
    expect.close(h(X, _seed=102, _forbid=NO_BUILTIN_DROPOUT), sd["lin3.bias"].expand(30, 6).contiguous(),
                 what="DropoutMLP(dropout1=0, dropout2=1) in training mode")


def _identity_layer(n: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.eye(n, device=device), torch.zeros(n, device=device)


@check(points=2, clause="mlp_first_rate")
def test_mlp_first_dropout_statistics(student, device, rng):
    """In training mode the first hidden layer's activations are dropped with dropout1 and rescaled."""
    p = 0.3
    h = student.DropoutMLP(20, 40, 40, 40, p, 0.0, _seed=206, _input_shape=(2, 20))
    h.to(device)
    h.train(True)
    sd = _state(h)
    # lin2 and lin3 made identities, so the output shows the dropped first hidden layer directly.
    sd["lin2.weight"], sd["lin2.bias"] = _identity_layer(40, device)
    sd["lin3.weight"], sd["lin3.bias"] = _identity_layer(40, device)
    _load(h, sd)
    X = torch.randn(500, 20, generator=rng).to(device)
    H1 = torch.relu(X @ sd["lin1.weight"].T + sd["lin1.bias"])
    out = expect.tensor(h(X, _seed=111, _forbid=NO_BUILTIN_DROPOUT), "DropoutMLP output")
    expect.shape(out, (500, 40), "DropoutMLP output")
    active = H1 > 0
    kept = _expect_dropped(torch.where(active, out, torch.zeros_like(out)), torch.where(active, H1, 1.0),
                           p, "first hidden layer after dropout (training mode)")
    expect.true(bool((out[~active] == 0).all()),
                "units that ReLU switched off came out non-zero after dropout")
    _expect_fraction(kept[active], 1 - p, "first hidden layer after dropout (training mode)")


@check(points=2, clause="mlp_second_rate")
def test_mlp_second_dropout_statistics(student, device, rng):
    """In training mode the second hidden layer's activations are dropped with dropout2 and rescaled."""
    p = 0.6
    h = student.DropoutMLP(20, 48, 32, 48, 0.0, p, _seed=207, _input_shape=(2, 20))
    h.to(device)
    h.train(True)
    sd = _state(h)
    sd["lin3.weight"], sd["lin3.bias"] = _identity_layer(48, device)
    _load(h, sd)
    X = torch.randn(500, 20, generator=rng).to(device)
    H1 = torch.relu(X @ sd["lin1.weight"].T + sd["lin1.bias"])
    H2 = torch.relu(H1 @ sd["lin2.weight"].T + sd["lin2.bias"])
    out = expect.tensor(h(X, _seed=121, _forbid=NO_BUILTIN_DROPOUT), "DropoutMLP output")
    expect.shape(out, (500, 48), "DropoutMLP output")
    active = H2 > 1e-4  # away from 0, where tolerances would blur 'dropped' and 'tiny'
    kept = _expect_dropped(torch.where(active, out, torch.zeros_like(out)), torch.where(active, H2, 1.0),
                           p, "second hidden layer after dropout (training mode)", rtol=1e-4)
    _expect_fraction(kept[active], 1 - p, "second hidden layer after dropout (training mode)")


@check(points=1, clause="mlp_backward")
def test_mlp_backward_in_training(student, device, rng):
    """Backpropagation through DropoutMLP in training mode works (dropout must not modify its input in place)."""
    h = student.DropoutMLP(24, 6, 32, 16, 0.5, 0.5, _seed=208, _input_shape=(2, 24))
    h.to(device)
    h.train(True)
    X = torch.randn(64, 24, generator=rng).to(device)
    result = h.backward(X, _seed=131, _forbid=NO_BUILTIN_DROPOUT)
    names = list(h.state_dict())
    grads = result["grads"] if all(name in names for name in ROLES) else \
        {role: result["grads"].get(name) for role, name in zip(ROLES, names)}
    for name in ("lin1.weight", "lin1.bias", "lin2.weight", "lin2.bias", "lin3.weight", "lin3.bias"):
        g = grads.get(name)
        expect.true(g is not None, f"no gradient reached {name}")
        expect.finite(g, f"gradient of {name}")
    # d(sum of outputs) / d(lin3.bias) is the batch size whatever was dropped.
    expect.close(grads["lin3.bias"], torch.full((6,), 64.0, device=device), what="gradient of lin3.bias")
