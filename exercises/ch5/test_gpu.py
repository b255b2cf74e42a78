"""Visible checks for ch5.gpu: run them with `pytest exercises/ch5` (a GPU is used when present)."""

from __future__ import annotations

import math

import torch

from grader.checks import StudentException, check, expect, specs
from grader.checks.specs import Movable, Opaque

EXERCISE = "ch5.gpu"


def _has_gpu(student) -> bool:
    try:
        return bool(student.probe("device_info").get("cuda_available"))
    except Exception:  # an engine without a working device_info probe: same machine as the check
        return torch.cuda.is_available()


@check(points=1, clause="try_gpu_example")
def test_try_gpu(student, device, rng):
    """try_gpu() gives cuda:0 with a GPU and the CPU without one; try_gpu(1000) gives the CPU."""
    expected = torch.device("cuda:0") if _has_gpu(student) else torch.device("cpu")
    got = student.try_gpu()
    expect.true(type(got) is torch.device, f"try_gpu() should return a torch.device, got {type(got).__name__}")
    expect.true(got == expected, f"try_gpu() returned {got}, expected {expected}")
    far = student.try_gpu(1000)
    expect.true(far == torch.device("cpu"), f"try_gpu(1000) returned {far}, expected cpu (no machine has 1001 GPUs)")


@check(points=1, clause="move_example")
def test_move_list_and_tuple(student, device, rng):
    """move_to moves every tensor of a list, and a tuple stays a tuple (the "meta" device works everywhere)."""
    got = student.move_to([torch.tensor(1), torch.tensor(2)], "meta")
    expect.true(type(got) is list and len(got) == 2, f"move_to(list of 2 tensors) returned {got!r}")
    for i, t in enumerate(got):
        expect.true(type(t) is torch.Tensor and t.device.type == "meta",
                    f"item {i} of the result should be a tensor on the meta device, got {t!r}")
    pair = student.move_to((torch.zeros(2, 3), torch.tensor([0, 1])), "meta")
    expect.true(type(pair) is tuple, f"move_to of a tuple should return a tuple, got {type(pair).__name__}")
    expect.true(all(t.device.type == "meta" for t in pair), "both tensors of the tuple should be moved")


@check(points=2, clause="move_dict_example")
def test_move_nested_dict(student, device, rng):
    """Dict keys and values, nested containers and objects with .to are moved; other objects are left alone."""
    batch = {"images": torch.rand(2, 3), torch.tensor(7): "tensor key",
             "extra": [specs.movable(label="model"), specs.opaque("config"), 5, "name", None]}
    got = student.move_to(batch, "meta")
    expect.true(type(got) is dict and len(got) == 3, f"move_to(dict) should return a dict of 3 entries, got {got!r}")
    keys = list(got)
    expect.true(got[keys[0]].device.type == "meta", "the value under 'images' was not moved")
    expect.true(type(keys[1]) is torch.Tensor and keys[1].device.type == "meta", "the tensor key was not moved")
    extra = got[keys[2]]
    expected_extra = [Movable("meta"), Opaque("config"), 5, "name", None]
    expect.true(extra == expected_extra, "the list under 'extra' is wrong",
                f"got {extra!r}\nexpected {expected_extra!r}")


@check(points=2, clause="time_seconds")
def test_time_matmul_is_seconds_per_product(student, device, rng):
    """time_matmul(256, cpu) is a float of seconds (not milliseconds), near the checker's own measurement of one product."""
    cpu = torch.device("cpu")
    # A busy machine slows single measurements down, never speeds them up: compare the fastest of
    # three of your figures with the fastest of the checker's measurements around them.
    got_all, probed = [], []
    for attempt in range(3):
        probed.append(student.probe("matmul_seconds", n=256, device="cpu", repeats=10))
        got = student.time_matmul(256, cpu, 10)
        probed.append(student.probe("matmul_seconds", n=256, device="cpu", repeats=10))
        expect.true(type(got) is float, f"time_matmul should return a float, got {type(got).__name__}")
        expect.true(math.isfinite(got) and got > 0,
                    f"time_matmul returned {got}, expected a positive number of seconds")
        rate = 2 * 256 ** 3 / got
        expect.true(rate < 2e13, f"{got:.3g} s for a 256 x 256 product means {rate:.3g} FLOP/s: too fast to be real")
        got_all.append(got)
    fastest, measured = min(got_all), min(probed)
    if not measured / 20 <= fastest <= measured * 20:
        expect.fail(f"time_matmul(256, cpu, 10) returned {fastest:.3g} s at best, but the checker measured about "
                    f"{measured:.3g} s per product: report seconds for ONE product, not milliseconds")


@check(points=1, clause="speedup_contract")
def test_gpu_speedup_without_gpu(student, device, rng):
    """gpu_speedup raises RuntimeError without a GPU, and returns the three figures with one."""
    if not _has_gpu(student):
        try:
            student.gpu_speedup(128, 2)
        except StudentException as exc:
            # NotImplementedError is a subclass of RuntimeError: the stub's own error does not count.
            expect.true("RuntimeError" in exc.exc_types and "NotImplementedError" not in exc.exc_types,
                        f"gpu_speedup() without a GPU raised {exc.exc_type}, expected RuntimeError")
            return
        expect.fail("gpu_speedup() without a GPU returned a result instead of raising RuntimeError")
    got = student.gpu_speedup(512, 3)
    expect.true(type(got) is dict and set(got) == {"cpu_seconds", "gpu_seconds", "speedup"},
                f"gpu_speedup should return a dict with cpu_seconds, gpu_seconds and speedup, got {got!r}")
    expect.true(abs(got["speedup"] - got["cpu_seconds"] / got["gpu_seconds"]) <= 1e-6 * got["speedup"],
                "speedup should be cpu_seconds / gpu_seconds")
