"""Hidden checks for ch3.linear_concise: load_array, linear_net and train_concise.

load_array's DataLoader stays next to the student's code (student.new_object) and is read
through its handle: type, batch size, data set, and the batches of whole epochs. The text fixes
the order of random draws in train_concise (linear_net, then the shuffled loader each epoch), so
its whole result (trained parameters and the loss after every epoch) is compared with the
reference under the same `_seed`; a separate check needs no reference (fit and loss history).
"""

from __future__ import annotations

import torch

from grader.checks import check, expect, reference_call

EXERCISE = "ch3.linear_concise"

# The contract (the exercise's "What to write" and the order of draws it prescribes), one sentence
# a clause; each check names the one it charges.
CLAUSES = {
    "load_example": "load_array((X, y), 4) over 10 examples gives batches of 4, 4 and 2 (the last partial "
                    "batch kept), every example once, next to its label",
    "load_type": "load_array returns a DataLoader over a TensorDataset with the requested batch size",
    "load_shuffle": "with is_train=True (the default) every epoch is a new shuffled order",
    "load_eval_order": "with is_train=False the batches come in the data's own order",
    "load_any_arrays": "load_array takes any number of tensors, as a tuple or a list",
    "net_layout": "linear_net(d) is nn.Sequential holding one nn.Linear(d, 1), reached as net[0]",
    "net_init": "linear_net's weight is drawn from N(0, 0.01^2) and its bias is 0",
    "train_example": "on the text's data both losses bring w and b close to the truth; epoch_loss is a list of "
                     "one Python float per epoch",
    "train_mse_run": "with 'mse' the run follows the text's loop and order of random draws: the reference's, "
                     "step for step",
    "train_huber_run": "'huber' trains and measures with nn.HuberLoss (delta 1): the reference's run, step for step",
    "train_fits": "train_concise fits any noisy linear data; epoch_loss is the full-data loss after each epoch",
    "train_value_error": "train_concise raises ValueError for a loss other than 'mse' or 'huber'",
    "train_device": "train_concise moves the network to X's device",
}

# Several SGD steps: summation order (mean vs sum / n, no_grad or not) moves the last digits.
TRAJ_TOL = {"rtol": 1e-4, "atol": 1e-5}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _rows(rng: torch.Generator, device, n: int, d: int = 3):
    # The first column numbers the rows, so the batches show which examples they hold.
    X = torch.cat([torch.arange(n, dtype=torch.float32).reshape(n, 1),
                   torch.randn(n, d - 1, generator=rng)], dim=1).to(device)
    y = (torch.arange(n, dtype=torch.float32) * 10 + 1).reshape(n, 1).to(device)
    return X, y


def _order(batches: list) -> list[int]:
    return [int(v) for batch in batches for v in batch[0][:, 0].tolist()]


def _expect_batches(batches: list, X, y, bs: int, what: str) -> None:
    n = len(X)
    expect.equal([len(b[0]) for b in batches], [bs] * (n // bs) + ([n % bs] if n % bs else []),
                 what=f"{what}: batch sizes")
    expect.equal(sorted(_order(batches)), list(range(n)), what=f"{what}: the examples of one epoch")
    for k, batch in enumerate(batches):
        idx = batch[0][:, 0].long()
        expect.equal(batch[1], y[idx], what=f"{what}: labels of batch {k} (must belong to its rows)")
        expect.equal(batch[0], X[idx], what=f"{what}: rows of batch {k}")


# ---------------------------------------------------------------- load_array

# The load_array checks below use whole batches only: keeping the last partial batch is the
# visible example's clause.

@check(points=1, clause="load_type")
def test_load_array_is_dataloader(student, device, rng):
    """load_array returns a DataLoader over a TensorDataset with the requested batch size."""
    bs = _int(rng, 3, 7)
    n = bs * _int(rng, 4, 7)
    X, y = _rows(rng, device, n)
    h = student.new_object("load_array", (X, y), bs)
    expect.true("torch.utils.data.dataloader.DataLoader" in h.type_names(),
                f"load_array returned a {h.type_name}, expected a torch.utils.data.DataLoader")
    expect.equal(h.attr("batch_size"), bs, what="the loader's batch_size")
    ds = h.attr("dataset")
    expect.true("torch.utils.data.dataset.TensorDataset" in ds.type_names(),
                f"the loader's dataset is a {ds.type_name}, expected a TensorDataset")
    expect.equal(ds.len(), n, what="len(loader.dataset)")
    expect.equal(h.len(), n // bs, what="len(loader): batches per epoch")


@check(points=2, clause="load_shuffle")
def test_load_array_shuffles_when_training(student, device, rng):
    """With is_train=True each epoch is a new shuffled order of all examples."""
    bs = _int(rng, 3, 5)
    n = bs * 6
    X, y = _rows(rng, device, n)
    h = student.new_object("load_array", (X, y), bs, True)
    first, second = h.items(_seed=41), h.items(_seed=42)
    _expect_batches(first, X, y, bs, "load_array(..., is_train=True), first epoch")
    _expect_batches(second, X, y, bs, "load_array(..., is_train=True), second epoch")
    expect.true(_order(first) != list(range(n)), "the training loader did not shuffle")
    expect.true(_order(first) != _order(second), "two epochs of the training loader came in the same order")
    default = student.new_object("load_array", (X, y), bs).items(_seed=43)
    expect.true(_order(default) != list(range(n)), "load_array shuffles by default (is_train=True)")


@check(points=1, clause="load_eval_order")
def test_load_array_in_order_for_evaluation(student, device, rng):
    """With is_train=False the batches come in the data's own order."""
    bs = _int(rng, 3, 5)
    n = bs * 5
    X, y = _rows(rng, device, n)
    batches = student.new_object("load_array", (X, y), bs, is_train=False).items(_seed=44)
    _expect_batches(batches, X, y, bs, "load_array(..., is_train=False)")
    expect.equal(_order(batches), list(range(n)), what="the order of load_array(..., is_train=False)")


@check(points=1, clause="load_any_arrays")
def test_load_array_any_number_of_arrays(student, device, rng):
    """load_array takes any number of arrays (here three, as a list)."""
    X, y = _rows(rng, device, 12)
    extra = torch.randint(0, 5, (12,), generator=rng).to(device)
    batches = student.new_object("load_array", [X, y, extra], 4, is_train=False).items()
    expect.equal([len(b) for b in batches], [3, 3, 3], what="parts per batch for three arrays")
    for k, batch in enumerate(batches):
        expect.equal(batch[2], extra[batch[0][:, 0].long()], what=f"the third array in batch {k}, next to its rows")


# ---------------------------------------------------------------- linear_net

def _forward_first(student, d: int, device, rng, seed: int):
    h = student.new("linear_net", d, _seed=seed)
    h.to(device)
    X = torch.randn(4, d, generator=rng).to(device)
    out = h(X)   # lazy modules get their parameters here
    return h, X, out


def _layer(h, d: int):
    sd = h.state_dict()
    weights = [k for k, v in sd.items() if k.endswith("weight")]
    biases = [k for k, v in sd.items() if k.endswith("bias")]
    expect.true(len(weights) == 1 and len(biases) == 1,
                f"linear_net should hold exactly one Linear layer, its parameters are {list(sd)}")
    return sd[weights[0]], sd[biases[0]]


@check(points=2, clause="net_init")
def test_linear_net_initialisation(student, device, rng):
    """The weight is drawn from N(0, 0.01**2) and the bias is exactly 0."""
    d = 2000
    h, _, _ = _forward_first(student, d, device, rng, seed=52)
    w, b = _layer(h, d)
    expect.equal(b, torch.zeros(1, device=w.device), what="the initial bias")
    std, mean = float(w.std()), float(w.mean())
    expect.true(abs(std - 0.01) < 0.001 and abs(mean) < 0.001,
                f"the initial weight should be N(0, 0.01**2): mean {mean:.5f}, std {std:.5f}")
    again, _, _ = _forward_first(student, d, device, rng, seed=53)
    expect.true(not torch.equal(_layer(again, d)[0], w), "two nets built under different seeds have the same "
                "weight: draw it at random")


# ---------------------------------------------------------------- train_concise

def _regression(rng: torch.Generator, device, n: int = 60):
    d = _int(rng, 2, 4)
    true_w = torch.randn(1, d, generator=rng) * 2
    true_b = torch.randn(1, generator=rng) * 2
    # Orthogonal columns scaled to X^T X = n I: no slow direction, so a few epochs fit any seed's data.
    X = torch.linalg.qr(torch.randn(n, d, generator=rng)).Q * n ** 0.5
    y = X @ true_w.T + true_b + 0.01 * torch.randn(n, 1, generator=rng)
    return X.to(device), y.to(device), true_w.to(device), true_b.to(device)


def _result(got, d: int, num_epochs: int, what: str) -> dict:
    expect.true(type(got) is dict and {"w", "b", "epoch_loss"} <= set(got),
                f"{what} must return a dict with keys 'w', 'b' and 'epoch_loss'")
    expect.shape(expect.tensor(got["w"], f"{what}['w']"), (1, d), f"{what}['w']")
    expect.shape(expect.tensor(got["b"], f"{what}['b']"), (1,), f"{what}['b']")
    losses = got["epoch_loss"]
    expect.true(type(losses) is list and len(losses) == num_epochs,
                f"{what}['epoch_loss'] must be a list of {num_epochs} numbers, got {losses!r}"[:300])
    # a number's type is the visible example's concern: a 0-d tensor counts as its value here
    got["epoch_loss"] = [v.item() if type(v) is torch.Tensor and v.dim() == 0 else v for v in losses]
    return got


def _same_run(student, reference, device, rng, loss: str, lr: float) -> None:
    # whole batches: keeping the last partial one is load_array's clause, not train_concise's
    bs = _int(rng, 8, 12)
    X, y, _, _ = _regression(rng, device, n=6 * bs)
    seed, epochs = _int(rng, 0, 9999), 3
    got = student.train_concise(X, y, loss=loss, lr=lr, num_epochs=epochs, batch_size=bs, _seed=seed)
    exp, _ = reference_call(reference.train_concise, X, y, loss=loss, lr=lr, num_epochs=epochs,
                            batch_size=bs, _seed=seed)
    got = _result(got, X.shape[1], epochs, f"train_concise(loss={loss!r})")
    expect.close(got["epoch_loss"], exp["epoch_loss"], **TRAJ_TOL,
                 what=f"loss after each epoch (loss={loss!r}, same seed as the reference)")
    expect.close(got["w"], exp["w"], **TRAJ_TOL, what=f"trained w (loss={loss!r}, same seed as the reference)")
    expect.close(got["b"], exp["b"], **TRAJ_TOL, what=f"trained b (loss={loss!r}, same seed as the reference)")


@check(points=3, clause="train_mse_run")
def test_train_concise_mse_run(student, reference, device, rng):
    """With the MSE loss the run matches the reference step for step under the same seed."""
    _same_run(student, reference, device, rng, "mse", 0.03)


def _full_batch_run(w: torch.Tensor, b: torch.Tensor, X: torch.Tensor, y: torch.Tensor, loss_fn, lr: float,
                    epochs: int) -> dict:
    """The text's loop with one batch of all the data, from the given start, in the judge."""
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    history = []
    for _ in range(epochs):
        loss_fn(X @ w.T + b, y).backward()
        with torch.no_grad():
            for p in (w, b):
                p -= lr * p.grad
                p.grad = None
            history.append(float(loss_fn(X @ w.T + b, y)))
    return {"w": w.detach(), "b": b.detach(), "epoch_loss": history}


@check(points=2, clause="train_huber_run")
def test_train_concise_huber_run(student, device, rng):
    """With the Huber loss, one batch of all the data and the student's own linear_net as the
    start, the run is the text's loop with nn.HuberLoss, epoch for epoch."""
    # from the student's own start and with a single batch: a slip in linear_net's initialisation
    # or in load_array's shuffling is charged by their own checks, not here too
    X, y, _, _ = _regression(rng, device, n=40)
    seed, epochs, lr = _int(rng, 0, 9999), 3, 0.3
    start = student.new("linear_net", X.shape[1], _seed=seed)
    start.to(device)
    w0, b0 = _layer(start, X.shape[1])
    got = _result(student.train_concise(X, y, loss="huber", lr=lr, num_epochs=epochs, batch_size=len(X), _seed=seed),
                  X.shape[1], epochs, "train_concise(loss='huber')")
    exp = _full_batch_run(w0, b0, X, y, torch.nn.HuberLoss(), lr, epochs)
    for key in ("epoch_loss", "w", "b"):
        expect.close(got[key], exp[key], **TRAJ_TOL, what=f"train_concise(loss='huber', one batch)[{key!r}]")


@check(points=2, clause="train_fits")
def test_train_concise_fits(student, device, rng):
    """train_concise fits known data; epoch_loss is the full-data loss of the returned parameters."""
    X, y, true_w, true_b = _regression(rng, device, n=100)
    got = _result(student.train_concise(X, y, lr=0.15, num_epochs=3, batch_size=10, _seed=_int(rng, 0, 9999)),
                  X.shape[1], 3, "train_concise")
    expect.close(got["w"], true_w, atol=0.02, rtol=0.0, what="trained w (compared with the true w)")
    expect.close(got["b"], true_b, atol=0.02, rtol=0.0, what="trained b (compared with the true b)")
    final = float(((X @ got["w"].T + got["b"] - y) ** 2).mean())
    expect.close(got["epoch_loss"][-1], final, rtol=1e-3, atol=1e-7,
                 what="the last epoch_loss (the MSE of the returned w and b on all the data)")
    expect.true(got["epoch_loss"][0] >= got["epoch_loss"][-1], "the loss went up during training")


@check(points=1, clause="train_device")
def test_train_concise_moves_the_net(student, rng):
    """train_concise puts its network on X's device (checked on the 'meta' device, so no GPU is needed)."""
    n, d = 4 * _int(rng, 2, 4), _int(rng, 2, 4)
    X, y = torch.empty(n, d, device="meta"), torch.empty(n, 1, device="meta")
    expect.runs_on_meta_device(lambda: student.train_concise(X, y, num_epochs=1, batch_size=4),
                               "train_concise(X, y) with X on the 'meta' device")
