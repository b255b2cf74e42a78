"""Visible checks for ch6.training_gpu: evaluation and training of a tiny CNN on the check's device."""

import math

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch6.training_gpu"

KEYS = {"train_loss", "train_acc", "test_acc", "examples_per_sec"}


def _cnn(seed: int, device: str | None = None, dropout: float = 0.0):
    return specs.cnn(in_channels=1, size=8, classes=3, channels=4, dropout=dropout, seed=seed,
                     label="net", device=device)


@check(points=2, clause="eval_example")
def test_evaluate_accuracy_gpu_modes(student, device):
    """evaluate_accuracy_gpu runs in eval mode without gradients, over each batch once, on net's device."""
    net = _cnn(1, device=str(device), dropout=0.5)
    # The loader yields CPU batches: evaluate_accuracy_gpu must move them to the net's device.
    data = specs.loader(n=37, shape=(1, 8, 8), classes=3, batch_size=8, seed=2, label="test")
    acc, rec = student.call_recorded("evaluate_accuracy_gpu", net, data)
    expect.true(type(acc) is float, f"evaluate_accuracy_gpu returned a {type(acc).__name__}, expected a Python float")
    expect.true(0.0 <= acc <= 1.0, f"evaluate_accuracy_gpu returned {acc}, which is not in [0, 1]")
    expect.equal(rec["test"]["batches"], 5, what="batches drawn (37 examples, batches of 8)")
    expect.equal(rec["net"]["modes"], [False] * 5, what="net.training at each forward pass")
    expect.equal(rec["net"]["grad_enabled"], [False] * 5, what="torch.is_grad_enabled() at each forward pass")
    expect.close(rec["net"]["final_state"], rec["net"]["initial_state"], what="parameters after evaluation")


@check(points=2, clause="eval_weights_example")
def test_evaluate_accuracy_gpu_weights_batches(student, device):
    """evaluate_accuracy_gpu weights every batch by its size (a batch of 2 and a batch of 1)."""
    net = _cnn(3, device=str(device))   # evaluate_accuracy_gpu does not move the net
    image = torch.linspace(-1.0, 1.0, 64).reshape(1, 1, 8, 8)
    # The same image labelled 0 and 1: exactly one of the two is right, whatever the net says.
    half = (image.repeat(2, 1, 1, 1), torch.tensor([0, 1]))
    single = (torch.cos(image * 3.0), torch.tensor([2]))
    acc_single = student.evaluate_accuracy_gpu(net, [single], device)
    expect.true(acc_single in (0.0, 1.0), f"the accuracy of one example came out as {acc_single}")
    got = student.evaluate_accuracy_gpu(net, [half, single], device)
    expect.close(got, (1.0 + acc_single) / 3, rtol=1e-6, atol=1e-6,
                 what="accuracy over a batch of 2 and a batch of 1")


@check(points=2, clause="train_example")
def test_train_ch6_result_and_modes(student, device):
    """train_ch6 returns four floats and trains every epoch in train mode, testing after each epoch."""
    net = _cnn(4, dropout=0.3)
    # 5 training batches: ordinary progress code divides by num_batches // 5
    train = specs.loader(n=40, shape=(1, 8, 8), classes=3, batch_size=9, seed=5, label="train")
    test = specs.loader(n=20, shape=(1, 8, 8), classes=3, batch_size=16, seed=6, label="test")
    result, rec = student.call_recorded("train_ch6", net, train, test, 2, 0.1, device, _seed=7)
    expect.true(type(result) is dict and set(result) == KEYS,
                f"train_ch6 must return a dict with keys {sorted(KEYS)}")
    for key in sorted(KEYS):
        expect.true(type(result[key]) is float and math.isfinite(result[key]),
                    f"train_ch6's {key!r} must be a finite Python float, got {result[key]!r}")
    for key in ("train_acc", "test_acc"):
        expect.true(0.0 <= result[key] <= 1.0, f"train_ch6's {key!r} is {result[key]}, not in [0, 1]")
    expect.true(result["train_loss"] > 0, "train_ch6's train_loss must be positive")
    expect.true(result["examples_per_sec"] > 0, "train_ch6's examples_per_sec must be positive")
    # Per epoch: 5 training batches (9 + 9 + 9 + 9 + 4) in train mode with gradients, then the test
    # set's 2 batches through evaluate_accuracy_gpu (whose own mode is its own checks' business).
    expect.equal(rec["train"]["iterations"], 2, what="passes over train_iter")
    expect.equal(rec["test"]["iterations"], 2, what="passes over test_iter (one evaluation per epoch)")
    expect.equal(rec["net"]["forwards"], 14, what="forward passes (2 epochs of 5 training and 2 test batches)")
    training = [i for epoch in range(2) for i in range(7 * epoch, 7 * epoch + 5)]
    expect.equal([rec["net"]["modes"][i] for i in training], [True] * 10,
                 what="net.training at each training forward pass (call net.train() every epoch)")
    expect.equal([rec["net"]["grad_enabled"][i] for i in training], [True] * 10,
                 what="torch.is_grad_enabled() at each training forward pass")
    expect.equal(rec["net"]["device"], str(torch.empty(0, device=device).device),
                 what="device of the net's parameters during training")


@check(points=2, clause="xavier_example")
def test_train_ch6_xavier_init(student, device):
    """train_ch6 re-initialises Linear/Conv2d weights with Xavier-uniform and leaves the biases alone."""
    net = _cnn(8)
    train = specs.loader(n=20, shape=(1, 8, 8), classes=3, batch_size=4, seed=9, label="train")
    test = specs.loader(n=10, shape=(1, 8, 8), classes=3, batch_size=10, seed=10, label="test")
    _, before = student.call_recorded("evaluate_accuracy_gpu", net, test)   # the net as built
    _, rec = student.call_recorded("train_ch6", net, train, test, 1, 0.1, device, _seed=11)
    built, start = before["net"]["initial_state"], rec["net"]["initial_state"]
    expect.equal(sorted(start), sorted(built), what="parameter names at the start of training")
    conv_w, lin_w = (name for name in sorted(built, key=lambda n: -built[n].dim()) if name.endswith("weight"))
    for name in built:
        if name.endswith("bias"):
            expect.close(start[name].cpu(), built[name].cpu(),
                         what=f"{name} at the start of training (biases keep their values)")
    # Conv 1->4 channels with a 3x3 kernel: a = sqrt(6 / (9 + 36)); Linear 64 -> 3: a = sqrt(6 / 67).
    for name, bound in ((conv_w, math.sqrt(6 / 45)), (lin_w, math.sqrt(6 / 67))):
        w = start[name].cpu()
        expect.true(not torch.equal(w, built[name].cpu()), f"{name} was not re-initialised")
        expect.true(float(w.abs().max()) <= bound + 1e-6,
                    f"{name} has entries beyond the Xavier bound {bound:.3f}")
        expect.true(float(w.abs().max()) > 0.6 * bound,
                    f"{name} looks too small for Xavier-uniform (bound {bound:.3f})")
