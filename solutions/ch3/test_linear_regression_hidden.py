"""Hidden checks for ch3.linear_regression.

The contract leaves the order of random draws open (how data_iter shuffles, how w is drawn), so
nothing random is compared with the reference value by value. Instead: data_iter's batches must
cover the data exactly once per pass, in an order that comes from the generator it is given
(the returned Python generator stays next to the student's code and is drained there through a
handle); synthetic_data must have the right shapes, the exact noise-free relation and the right
noise level; train_linreg must fit known data. linreg and squared_loss are deterministic and are
compared with the reference; sgd works on a `specs.params` list of leaf tensors with gradients.
"""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect, NotPlainData

EXERCISE = "ch3.linear_regression"


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


# ---------------------------------------------------------------- synthetic_data

@check(points=1)
def test_synthetic_shapes_and_dtype(student, device, rng):
    """synthetic_data gives X (n, len(w)) and y (n, 1) with w's dtype and device (meta too)."""
    for dtype in (torch.float32, torch.float64):
        d, n = _int(rng, 1, 5), _int(rng, 5, 40)
        w = torch.randn(d, generator=rng).to(dtype).to(device)
        got = student.synthetic_data(w, 1.5, n, generator=specs.generator(_int(rng, 0, 9999)))
        expect.true(type(got) in (tuple, list) and len(got) == 2, "synthetic_data must return (X, y)")
        X, y = got
        for t, shape, name in ((X, (n, d), "X"), (y, (n, 1), "y")):
            expect.shape(t, shape, f"synthetic_data(...) {name} for len(w) = {d}, n = {n}")
            expect.dtype(t, dtype, f"synthetic_data(...) {name} for a {dtype} w")
            expect.true(t.device == w.device, f"synthetic_data(...) {name} is on {t.device}, w on {w.device}")
    # w's device, checked where the CPU cannot stand in for it: X and the noise must follow w there
    w_meta = torch.empty(3, device="meta")
    expect.keeps_meta_device(lambda: student.synthetic_data(w_meta, 1.5, 8)[1], "synthetic_data(w on meta, 1.5, 8)")


@check(points=2)
def test_synthetic_noise_free_relation(student, device, rng):
    """With noise=0, y equals X w + b exactly (up to rounding)."""
    d, n = _int(rng, 2, 4), _int(rng, 20, 50)
    w = torch.randn(d, generator=rng).to(device)
    b = float(torch.randn(1, generator=rng))
    X, y = student.synthetic_data(w, b, n, noise=0.0, generator=specs.generator(_int(rng, 0, 9999)))
    expect.close(y, X @ w.reshape(-1, 1) + b, what="y from synthetic_data(w, b, n, noise=0)")


@check(points=1)
def test_synthetic_distributions(student, device, rng):
    """X is standard normal and y - (X w + b) has standard deviation `noise`."""
    n, noise = 4000, 0.05 + 0.2 * float(torch.rand(1, generator=rng))
    w = torch.tensor([2.0, -3.4], device=device)
    X, y = student.synthetic_data(w, 4.2, n, noise=noise, generator=specs.generator(_int(rng, 0, 9999)))
    X, y = expect.tensor(X, "X"), expect.tensor(y, "y")
    expect.true(abs(float(X.mean())) < 0.06 and abs(float(X.std()) - 1) < 0.05,
                f"X should be standard normal: mean {float(X.mean()):.3f}, std {float(X.std()):.3f}")
    resid = (y - (X @ w.reshape(-1, 1) + 4.2)).reshape(-1)
    expect.true(abs(float(resid.mean())) < 6 * noise / n ** 0.5 + 1e-5,
                f"the noise should have mean 0, has mean {float(resid.mean()):.4f}")
    expect.true(abs(float(resid.std()) / noise - 1) < 0.1,
                f"the noise should have standard deviation {noise:.3f}, has {float(resid.std()):.4f}")


@check(points=1)
def test_synthetic_uses_generator(student, device, rng):
    """synthetic_data draws from its generator: same seed, same data, whatever the global seed."""
    w = torch.randn(3, generator=rng).to(device)
    seed = _int(rng, 0, 9999)
    first = student.synthetic_data(w, 0.5, 20, generator=specs.generator(seed), _seed=1)
    second = student.synthetic_data(w, 0.5, 20, generator=specs.generator(seed), _seed=2)
    expect.equal(second, first, what="synthetic_data with equally seeded generators (global seeds differ)")
    other = student.synthetic_data(w, 0.5, 20, generator=specs.generator(seed + 1), _seed=1)
    expect.true(not torch.equal(other[0], first[0]), "generators with different seeds gave the same X")


# ---------------------------------------------------------------- data_iter

def _batches(student, *args, **kwargs) -> list:
    """One pass of data_iter, drained next to the student's code (a list of batches is fine too)."""
    try:
        items = student.new_object("data_iter", *args, **kwargs).items(limit=10_000)
    except NotPlainData:   # data_iter returned plain data (a list of batches) instead of a generator
        items = student.call("data_iter", *args, **kwargs)
    expect.true(type(items) in (list, tuple), "data_iter must give an iterable of (X_batch, y_batch)")
    for k, batch in enumerate(items):
        expect.true(type(batch) in (tuple, list) and len(batch) == 2,
                    f"batch {k} of data_iter is not a pair (X_batch, y_batch)")
    return list(items)


def _data(rng: torch.Generator, device, n: int, d: int = 3):
    # Row i carries i in its first column, so the example a row came from can be read back.
    X = torch.cat([torch.arange(n, dtype=torch.float32).reshape(n, 1),
                   torch.randn(n, d - 1, generator=rng)], dim=1).to(device)
    y = (torch.arange(n, dtype=torch.float32) * 10).reshape(n, 1).to(device)
    return X, y


def _order(batches: list) -> list[int]:
    return [int(v) for X_b, _ in batches for v in X_b[:, 0].tolist()]


@check(points=3)
def test_data_iter_one_pass(student, device, rng):
    """Every example exactly once, rows kept with their labels, full batches then one partial one (of one example too)."""
    bs = _int(rng, 3, 8)
    # a last batch of a single example too: a loop that stops one short drops it
    short = bs * _int(rng, 2, 4) + 1
    X, y = _data(rng, device, short)
    sizes = [len(X_b) for X_b, _ in _batches(student, bs, X, y, specs.generator(_int(rng, 0, 9999)))]
    expect.equal(sizes, [bs] * (short // bs) + [1], what=f"batch sizes of data_iter({bs}, X with {short} rows)")
    n = bs * _int(rng, 3, 6) + _int(rng, 1, bs - 1)
    X, y = _data(rng, device, n)
    batches = _batches(student, bs, X, y, specs.generator(_int(rng, 0, 9999)))
    sizes = [len(X_b) for X_b, _ in batches]
    expected_sizes = [bs] * (n // bs) + [n % bs]
    expect.equal(sizes, expected_sizes, what=f"batch sizes of data_iter({bs}, X with {n} rows)")
    order = _order(batches)
    expect.true(len(set(order)) == n, f"{n - len(set(order))} examples came twice in one pass and as many "
                "were missing: shuffle the indices once, then slice them")
    expect.equal(sorted(order), list(range(n)), what="the examples met in one pass")
    for k, (X_b, y_b) in enumerate(batches):
        expect.equal(X_b, X[X_b[:, 0].long()], what=f"the rows of batch {k}")
        expect.equal(y_b, y[X_b[:, 0].long()], what=f"the labels of batch {k} (must belong to its rows)")


@check(points=1)
def test_data_iter_exact_multiple(student, device, rng):
    """When batch_size divides n there are n / batch_size full batches; batch_size > n gives one batch."""
    bs = _int(rng, 2, 6)
    n = bs * _int(rng, 2, 5)
    X, y = _data(rng, device, n)
    batches = _batches(student, bs, X, y, specs.generator(3))
    expect.equal([len(X_b) for X_b, _ in batches], [bs] * (n // bs), what=f"batch sizes for n = {n}, batch_size = {bs}")
    batches = _batches(student, n + 3, X, y, specs.generator(4))
    expect.equal(sorted(_order(batches)), list(range(n)), what=f"data_iter({n + 3}, X with {n} rows)")
    expect.equal(len(batches), 1, what=f"number of batches for batch_size {n + 3} > n = {n}")


@check(points=2)
def test_data_iter_uses_generator(student, device, rng):
    """The order comes from the generator: equal seeds give equal orders, other seeds other orders."""
    X, y = _data(rng, device, 40)
    seed = _int(rng, 0, 9999)
    first = _order(_batches(student, 6, X, y, specs.generator(seed), _seed=11))
    second = _order(_batches(student, 6, X, y, specs.generator(seed), _seed=12))
    expect.equal(second, first, what="the order from two equally seeded generators (global seeds differ)")
    other = _order(_batches(student, 6, X, y, specs.generator(seed + 1), _seed=11))
    expect.true(other != first, "generators with different seeds gave the same order")
    expect.true(first != list(range(40)), "data_iter did not shuffle the examples")


@check(points=1)
def test_data_iter_global_rng_without_generator(student, device, rng):
    """Without a generator the order comes from torch's global generator (shuffled, seed-dependent)."""
    X, y = _data(rng, device, 30)
    a = _order(_batches(student, 7, X, y, _seed=21))
    c = _order(_batches(student, 7, X, y, _seed=22))
    expect.true(a != c and a != list(range(30)), "without a generator data_iter should shuffle with "
                "torch's global generator")
    expect.equal(sorted(a), list(range(30)), what="the examples met in one pass without a generator")


# ---------------------------------------------------------------- linreg, squared_loss

@check(points=1)
def test_linreg(student, reference, device, rng):
    """linreg(X, w, b) = X w + b for random shapes and float32 / float64."""
    for dtype in (torch.float32, torch.float64):
        n, d = _int(rng, 3, 12), _int(rng, 1, 6)
        X = torch.randn(n, d, generator=rng).to(dtype).to(device)
        w = torch.randn(d, 1, generator=rng).to(dtype).to(device)
        b = torch.randn(1, generator=rng).to(dtype).to(device)
        expect.close(student.linreg(X, w, b), reference.linreg(X, w, b), what=f"linreg on {n}x{d} {dtype}")


@check(points=2)
def test_squared_loss(student, reference, device, rng):
    """squared_loss is (y_hat - y)**2 / 2 per example, with y of shape (n,) or (n, 1)."""
    n = _int(rng, 4, 15)
    y_hat = torch.randn(n, 1, generator=rng).to(device)
    for y in (torch.randn(n, 1, generator=rng).to(device), torch.randn(n, generator=rng).to(device)):
        got = student.squared_loss(y_hat, y)
        expect.close(got, reference.squared_loss(y_hat, y), what=f"squared_loss(y_hat (n, 1), y {tuple(y.shape)})")
    y_hat = torch.randn(5, 1, generator=rng).double().to(device)
    expect.close(student.squared_loss(y_hat, y_hat + 2), reference.squared_loss(y_hat, y_hat + 2),
                 what="squared_loss on float64")


# ---------------------------------------------------------------- sgd

def _params(rng: torch.Generator):
    values = [torch.randn(3, 1, generator=rng), torch.randn(1, generator=rng)]
    grads = [torch.randn(3, 1, generator=rng), torch.randn(1, generator=rng)]
    return values, grads


@check(points=2)
def test_sgd_update(student, device, rng):
    """sgd moves every parameter in place by -lr * grad / batch_size."""
    values, grads = _params(rng)
    lr, bs = 0.03 + float(torch.rand(1, generator=rng)), _int(rng, 2, 20)
    _, rec = student.call_recorded("sgd", specs.params(values, grads), lr, bs)
    expected = [v - lr * g / bs for v, g in zip(values, grads)]
    expect.close(rec["params"]["values"], expected, what=f"parameters after sgd(params, {lr:.3f}, {bs})")
    expect.equal(rec["params"]["is_leaf"], [True, True],
                 what="parameters are still leaves after sgd (update them under torch.no_grad())")
    expect.equal(rec["params"]["requires_grad"], [True, True], what="parameters still require grad after sgd")


@check(points=1)
def test_sgd_zeroes_gradients(student, device, rng):
    """After sgd every gradient is zero (or None), so the next backward does not accumulate."""
    values, grads = _params(rng)
    _, rec = student.call_recorded("sgd", specs.params(values, grads), 0.1, 4)
    for k, g in enumerate(rec["params"]["grads"]):
        expect.true(g is None or bool((g == 0).all()), f"the gradient of parameter {k} was not reset after sgd")


# ---------------------------------------------------------------- train_linreg

def _regression(rng: torch.Generator, device, n: int = 100):
    d = _int(rng, 2, 4)
    true_w = torch.randn(d, 1, generator=rng) * 2
    true_b = float(torch.randn(1, generator=rng)) * 2
    # Orthogonal columns scaled to X^T X = n I: every direction converges at the same rate, so a
    # few SGD steps fit any seed's data (a random design can have a slow direction).
    X = torch.linalg.qr(torch.randn(n, d, generator=rng)).Q * n ** 0.5
    y = X @ true_w + true_b + 0.01 * torch.randn(n, 1, generator=rng)
    return X.to(device), y.to(device), true_w.to(device), torch.tensor([true_b], device=device)


def _wb(got, d: int, device, what: str):
    expect.true(type(got) in (tuple, list) and len(got) == 2, f"{what} must return (w, b)")
    w, b = expect.tensor(got[0], f"{what} w"), expect.tensor(got[1], f"{what} b")
    expect.shape(w, (d, 1), f"{what} w")
    expect.shape(b, (1,), f"{what} b")
    for t, name in ((w, "w"), (b, "b")):
        expect.dtype(t, torch.float32, f"{what} {name}")
        expect.true(t.device == torch.device(device), f"{what} {name} is on {t.device}, the data on {device}")
        expect.finite(t, f"{what} {name}")
    return w, b


@check(points=3)
def test_train_linreg_fits(student, device, rng):
    """train_linreg recovers the true w and b of noisy linear data (lr 0.5, batches of 20, 3 epochs)."""
    X, y, true_w, true_b = _regression(rng, device)
    got = student.train_linreg(X, y, lr=0.5, num_epochs=3, batch_size=20,
                               generator=specs.generator(_int(rng, 0, 9999)))
    w, b = _wb(got, X.shape[1], device, "train_linreg")
    expect.close(w, true_w, atol=0.03, rtol=0.0, what="trained w (compared with the true w)")
    expect.close(b, true_b, atol=0.03, rtol=0.0, what="trained b (compared with the true b)")


@check(points=1)
def test_train_linreg_start(student, device, rng):
    """With zero epochs train_linreg returns its start: w ~ N(0, 0.01**2), b = 0, in X's dtype."""
    X, y, _, _ = _regression(rng, device, n=30)
    w, b = _wb(student.train_linreg(X, y, num_epochs=0, generator=specs.generator(5)), X.shape[1], device,
               "train_linreg(num_epochs=0)")
    expect.equal(b, torch.zeros(1, device=device), what="the initial b")
    expect.true(bool((w.abs() < 0.06).all()) and bool((w != 0).any()),
                f"the initial w should be drawn from N(0, 0.01**2), got {w.reshape(-1).tolist()}")
    # 400 features: the spread of the draws pins the scale 0.01 (within 6 standard errors)
    wide = torch.randn(10, 400, generator=rng, dtype=torch.float64).to(device)
    got = student.train_linreg(wide, torch.zeros(10, 1, dtype=torch.float64, device=device), num_epochs=0,
                               generator=specs.generator(6))
    expect.true(type(got) in (tuple, list) and len(got) == 2, "train_linreg must return (w, b)")
    w, b = expect.tensor(got[0], "w"), expect.tensor(got[1], "b")
    for t, name in ((w, "w"), (b, "b")):
        expect.dtype(t, torch.float64, f"train_linreg(float64 X) initial {name} (it keeps X's dtype)")
    spread = float(w.std())
    expect.true(0.0058 < spread < 0.0142, f"the initial w of 400 features has a spread of {spread:.4f}; "
                "N(0, 0.01**2) gives 0.01")


@check(points=1)
def test_train_linreg_uses_generator(student, device, rng):
    """All randomness of train_linreg comes from its generator: equal seeds give equal results."""
    X, y, _, _ = _regression(rng, device, n=40)
    seed = _int(rng, 0, 9999)
    first = student.train_linreg(X, y, num_epochs=1, batch_size=20, generator=specs.generator(seed), _seed=31)
    second = student.train_linreg(X, y, num_epochs=1, batch_size=20, generator=specs.generator(seed), _seed=32)
    expect.close(second, first, what="train_linreg with equally seeded generators (global seeds differ)")


@check(points=1)
def test_train_linreg_keeps_the_device(student, rng):
    """train_linreg creates w and b on X's device (checked on the 'meta' device, so no GPU is needed)."""
    n, d = 5 * _int(rng, 3, 5), _int(rng, 2, 4)
    X, y = torch.empty(n, d, device="meta"), torch.empty(n, 1, device="meta")
    got = expect.runs_on_meta_device(
        lambda: student.train_linreg(X, y, num_epochs=1, batch_size=5, generator=specs.generator(_int(rng, 0, 9999))),
        "train_linreg(X, y) with X on the 'meta' device")
    if got is not None:
        expect.true(type(got) in (tuple, list) and len(got) == 2, "train_linreg must return (w, b)")
        for t, name in zip(got, "wb"):
            expect.true(isinstance(t, torch.Tensor) and t.device.type == "meta",
                        f"train_linreg's {name} is not on X's device: create it there (device=X.device)")
