"""Hidden checks for ch5.gpu.

move_to is checked on any machine by moving to the "meta" device: meta tensors cross the wire as
meta tensors, so every tensor inside the returned structure shows whether it was moved.
Timings are compared with the engine's own measurement taken in the same process, before and
after the student's, and a figure faster than the hardware can be is rejected.
"""

from __future__ import annotations

import math
import time
from typing import Any

import torch

from grader.checks import check, expect, specs
from grader.checks.specs import BuildSpec, Movable, Opaque

EXERCISE = "ch5.gpu"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "try_gpu_example": "try_gpu() is cuda:0 with a GPU and the CPU without one; try_gpu(1000) is the CPU",
    "try_gpu_index": "try_gpu(i) is cuda:i with at least i + 1 GPUs and the CPU otherwise, right at i = count - 1 "
                     "and i = count",
    "move_example": "move_to moves every tensor of a list, and a tuple comes back as a tuple",
    "move_dict_example": "move_to moves dict keys and values, nested containers and objects with .to, and leaves "
                         "other objects alone",
    "move_dtypes": "move_to moves a bare tensor or tensors of any dtype, to a device given as a str or a "
                   "torch.device, keeping dtype and shape",
    "move_container_types": "lists and tuples keep their type at every level of nesting, empty ones included",
    "move_dict": "dicts keep their order, with tensor keys moved as well as values",
    "move_sets": "sets come back as sets whose tensors were moved",
    "move_other_objects": "objects with .to are moved; numbers, strings, None and objects without .to come back "
                          "unchanged",
    "move_deep": "containers nested several levels deep are moved all the way down",
    "move_values": "moving to a real device keeps the tensors' values",
    "time_products": "time_matmul multiplies float32 n x n matrices: one untimed warm-up product, then exactly "
                     "`repeats` timed ones",
    "time_seconds": "time_matmul reports seconds (not milliseconds), near the checker's own measurement",
    "time_per_product": "time_matmul reports the time of ONE product (a median), whatever `repeats` is, not a total",
    "time_sync": "on a GPU, time_matmul waits for the GPU (synchronize) and reports seconds of one product",
    "speedup_contract": "gpu_speedup raises RuntimeError without a GPU and returns cpu_seconds, gpu_seconds and "
                        "speedup = cpu_seconds / gpu_seconds with one",
    "speedup_measures": "gpu_speedup's figures agree with the checker's own CPU and GPU measurements",
}


# ------------------------------------------------------------------ try_gpu

def _worker_gpus(student) -> int:
    """How many GPUs the student's process sees (the judge may see them even when the worker may not)."""
    try:
        available = bool(student.probe("device_info").get("cuda_available"))
    except Exception:  # an engine without a working device_info probe: the judge runs on the same machine
        available = torch.cuda.is_available()
    return max(1, torch.cuda.device_count()) if available else 0


def _expect_device(got: Any, expected: torch.device, what: str) -> None:
    expect.true(type(got) is torch.device, f"{what}: expected a torch.device, got {type(got).__name__}")
    # torch.device("cuda") means the current GPU, which is cuda:0 unless someone changed it.
    normal = torch.device(got.type, 0) if got.type == "cuda" and got.index is None else got
    expect.true(normal == expected, f"{what}: got {got}, expected {expected}")


@check(points=1, clause="try_gpu_index")
def test_try_gpu_index(student, device, rng):
    """try_gpu(i) falls back to the CPU when there are not i + 1 GPUs, and picks cuda:i otherwise (i = count, count - 1)."""
    count = _worker_gpus(student)
    for i in (count, count + 3):
        _expect_device(student.try_gpu(i), torch.device("cpu"), f"try_gpu({i}) with {count} GPU(s)")
    if count:
        _expect_device(student.try_gpu(count - 1), torch.device("cuda", count - 1),
                       f"try_gpu({count - 1}) with {count} GPU(s)")


# ------------------------------------------------------------------ move_to

def _expected_moved(obj: Any, target: str) -> Any:
    """What a correct move_to returns, built in the judge from the check's own input."""
    if isinstance(obj, BuildSpec):
        if obj.kind == "movable":
            return Movable(str(torch.device(target)))
        return Opaque(str(obj.spec["tag"]))
    if type(obj) is list:
        return [_expected_moved(v, target) for v in obj]
    if type(obj) is tuple:
        return tuple(_expected_moved(v, target) for v in obj)
    if type(obj) is set:
        return {_expected_moved(v, target) for v in obj}
    if type(obj) is dict:
        return {_expected_moved(k, target): _expected_moved(v, target) for k, v in obj.items()}
    if type(obj) is torch.Tensor:
        return obj.to(target)
    return obj


def _describe(x: Any) -> str:
    if type(x) is torch.Tensor:
        return f"tensor of shape {tuple(x.shape)} on {x.device}"
    return type(x).__name__


def _set_key(x: Any) -> tuple:
    if type(x) is torch.Tensor:
        return ("tensor", tuple(x.shape), str(x.dtype), str(x.device))
    return ("value", type(x).__name__, repr(x))


def _mismatch(got: Any, exp: Any, path: str, values: bool) -> str | None:
    """The first difference between two moved structures, or None."""
    if type(got) is not type(exp):
        return f"{path}: got a {_describe(got)}, expected a {_describe(exp)}"
    if type(exp) is torch.Tensor:
        if got.device != exp.device:
            return f"{path}: tensor is on {got.device}, expected {exp.device}"
        if got.shape != exp.shape or got.dtype != exp.dtype:
            return f"{path}: tensor {tuple(got.shape)} {got.dtype}, expected {tuple(exp.shape)} {exp.dtype}"
        if values and exp.device.type != "meta" and not torch.equal(got, exp):
            return f"{path}: tensor values changed"
        return None
    if type(exp) in (list, tuple):
        if len(got) != len(exp):
            return f"{path}: {len(got)} items, expected {len(exp)}"
        for i, (g, e) in enumerate(zip(got, exp)):
            found = _mismatch(g, e, f"{path}[{i}]", values)
            if found:
                return found
        return None
    if type(exp) is set:
        if len(got) != len(exp):
            return f"{path}: set of {len(got)} items, expected {len(exp)}"
        for g, e in zip(sorted(got, key=_set_key), sorted(exp, key=_set_key)):
            found = _mismatch(g, e, f"{path} (a set item)", values)
            if found:
                return found
        return None
    if type(exp) is dict:
        if len(got) != len(exp):
            return f"{path}: dict of {len(got)} entries, expected {len(exp)}"
        for i, ((gk, gv), (ek, ev)) in enumerate(zip(got.items(), exp.items())):
            found = (_mismatch(gk, ek, f"{path}, key #{i}", values)
                     or _mismatch(gv, ev, f"{path}[key #{i}]", values))
            if found:
                return found
        return None
    if got != exp:
        return f"{path}: got {got!r}, expected {exp!r}"
    return None


def _check_move(student, obj: Any, target: Any, what: str, values: bool = False) -> None:
    got = student.move_to(obj, target)
    found = _mismatch(got, _expected_moved(obj, str(target)), what, values)
    expect.true(found is None, found or "")


def _tensor(rng: torch.Generator, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return (torch.randn(shape, generator=rng) * 10).to(dtype)


@check(points=1, clause="move_dtypes")
def test_move_to_list_of_tensors(student, device, rng):
    """Tensors of any dtype, in a list or alone, are moved to a device given as a str or a torch.device, keeping dtype and shape."""
    obj = [_tensor(rng, 3), _tensor(rng, 2, 4, dtype=torch.float64), _tensor(rng, 5, dtype=torch.int64),
           _tensor(rng)]
    _check_move(student, obj, "meta", "move_to(list of tensors, 'meta')")
    _check_move(student, obj[1], torch.device("meta"), "move_to(tensor, torch.device('meta'))")


@check(points=2, clause="move_container_types")
def test_move_to_keeps_container_types(student, device, rng):
    """Tuples stay tuples and lists stay lists, at every level."""
    obj = (_tensor(rng, 2), [_tensor(rng, 3), (_tensor(rng, 4), "label")], (), [])
    _check_move(student, obj, "meta", "move_to(nested tuples and lists)")
    _check_move(student, [(_tensor(rng, 6), _tensor(rng, 6, dtype=torch.int64))] * 3, "meta",
                "move_to(a list of (inputs, labels) pairs)")


@check(points=2, clause="move_dict")
def test_move_to_dict_keys_and_values(student, device, rng):
    """Dicts keep their keys in order, and both keys and values are moved."""
    obj = {"images": _tensor(rng, 2, 3), "labels": (_tensor(rng, 2, dtype=torch.int64), "names"), 7: None}
    _check_move(student, obj, "meta", "move_to(dict with tensor values)")
    keyed = {_tensor(rng, 1): "one", _tensor(rng, 2): [_tensor(rng, 2)], "plain": specs.movable(label="box")}
    _check_move(student, keyed, "meta", "move_to(dict with tensor keys)")


@check(points=1, clause="move_sets")
def test_move_to_sets(student, device, rng):
    """A set comes back as a set whose tensors were moved."""
    obj = {_tensor(rng, 1), _tensor(rng, 2), _tensor(rng, 3, dtype=torch.float64)}
    _check_move(student, obj, "meta", "move_to(set of tensors)")
    _check_move(student, [{_tensor(rng, 4)}, {"a", "b"}, set()], "meta", "move_to(list holding sets)")


@check(points=1, clause="move_other_objects")
def test_move_to_other_objects(student, device, rng):
    """Objects with .to are moved; numbers, strings, None and objects without .to come back unchanged."""
    obj = [specs.movable(label="m1"), specs.opaque("note"), 3, 2.5, "text", None, True,
           {"model": specs.movable(label="m2"), "config": specs.opaque("cfg")}]
    _check_move(student, obj, "meta", "move_to(objects with and without .to)")
    _check_move(student, specs.movable(label="alone"), "meta", "move_to(an object with .to)")
    _check_move(student, 42, "meta", "move_to(42)")


@check(points=1, clause="move_deep")
def test_move_to_deep_nesting(student, device, rng):
    """Containers nested several levels deep are moved all the way down."""
    obj: Any = _tensor(rng, 2)
    for level in range(6):
        obj = [obj] if level % 3 == 0 else (obj, level) if level % 3 == 1 else {"level": obj}
    _check_move(student, obj, "meta", "move_to(6 levels of nesting)")


@check(points=1, clause="move_values")
def test_move_to_keeps_values(student, device, rng):
    """Moving to a real device keeps the tensors' values."""
    obj = {"x": _tensor(rng, 3, 4), "pair": (_tensor(rng, 5), [_tensor(rng, 2, dtype=torch.int64)])}
    _check_move(student, obj, str(device), f"move_to(dict of tensors, {str(device)!r})", values=True)


# ------------------------------------------------------------------ timing

CPU_PEAK_FLOPS = 2e13   # far above any CPU a course is graded on
GPU_PEAK_FLOPS = 2e15   # no GPU does dense float32 matmul this fast
# The student's median must lie within this factor of the engine's: generous, because a shared
# machine makes single timings noisy, yet far below the factors of the usual mistakes
# (total of `repeats` runs, milliseconds, no synchronisation).
FACTOR = 4.0
# A busy machine slows runs down in bursts. The student's figure is judged in a *quiet window*:
# the checker's measurements just before and just after it agree within QUIET, so the student's
# run saw the same conditions. One agreement there passes; MAX_DISAGREEMENTS quiet windows that
# disagree fail. If no window is ever quiet, each side's fastest figure is compared (noise only
# slows runs down). A figure in milliseconds or a total over the repeats disagrees by a factor of
# 30 to 1000, far beyond FACTOR.
QUIET = 1.5
MAX_DISAGREEMENTS = 4
ATTEMPTS = 15
MIN_ATTEMPTS = 3
TIME_BUDGET = 8.0   # seconds


def _expect_seconds(got: Any, what: str) -> float:
    expect.true(type(got) in (float, int), f"{what}: expected a number of seconds (float), "
                f"got {type(got).__name__}")
    expect.true(math.isfinite(got) and got > 0, f"{what}: expected a positive, finite number of seconds, got {got}")
    return float(got)


def _expect_plausible(seconds: float, n: int, dev: torch.device, what: str) -> None:
    peak = GPU_PEAK_FLOPS if dev.type == "cuda" else CPU_PEAK_FLOPS
    kind = "GPU" if dev.type == "cuda" else "CPU"
    rate = 2 * n ** 3 / seconds
    expect.true(rate <= peak, f"{what}: {seconds:.3g} s for one {n} x {n} product means {rate:.3g} FLOP/s, "
                f"faster than any {kind} can be ({peak:.0e}): was the work finished "
                "(synchronised) before the clock stopped?")


def _compare_with_probe(student, n: int, dev: torch.device, repeats: int, what: str) -> None:
    """The student's figure against the checker's own, measured just before and after it."""
    def probe() -> float:
        return float(student.probe("matmul_seconds", n=n, device=str(dev), repeats=repeats))

    def disagree(got: float, measured: float) -> None:
        expect.fail(f"{what}: reported {got:.3g} s per product while the checker measured "
                    f"{measured:.3g} s ({got / measured:.3g} times as much): report the median time "
                    "of ONE product in seconds, after a warm-up run")

    mine, theirs = [probe()], []
    disagreements = 0
    start = time.monotonic()
    for attempt in range(ATTEMPTS):
        if attempt >= MIN_ATTEMPTS and time.monotonic() - start > TIME_BUDGET:
            break
        got = _expect_seconds(student.time_matmul(n, dev, repeats), what)
        _expect_plausible(got, n, dev, what)
        theirs.append(got)
        before, after = mine[-1], probe()
        mine.append(after)
        if max(before, after) <= QUIET * min(before, after):
            measured = math.sqrt(before * after)
            if 1 / FACTOR <= got / measured <= FACTOR:
                return
            disagreements += 1
            if disagreements >= MAX_DISAGREEMENTS:
                disagree(got, measured)
    if not 1 / FACTOR <= min(theirs) / min(mine) <= FACTOR:
        disagree(min(theirs), min(mine))


MATMUL_OPS = ("mm", "bmm", "matmul", "addmm", "dot")


def _products(student, n: int, repeats: int) -> dict[str, int]:
    """{dtype: matrix products} that time_matmul(n, "cpu", repeats) ran, counted by the engine."""
    _, records = student.call_recorded("time_matmul", n, "cpu", repeats, _count_ops=MATMUL_OPS)
    per_dtype: dict[str, int] = {}
    for counts in (records.get("ops") or {}).values():
        for dtype, count in counts.items():
            per_dtype[dtype] = per_dtype.get(dtype, 0) + count
    return per_dtype


@check(points=2, clause="time_products")
def test_time_matmul_runs_the_products(student, device, rng):
    """time_matmul multiplies float32 matrices: one untimed warm-up product, then exactly `repeats` timed ones (counted, not timed)."""
    once, many = _products(student, 32, 1), _products(student, 32, 9)
    total_once, total_many = sum(once.values()), sum(many.values())
    other = sorted((set(once) | set(many)) - {"float32"})
    expect.true(not other, f"time_matmul multiplied {', '.join(other)} matrices: the contract times "
                "float32 products (torch.rand gives float32)")
    expect.true(total_many - total_once == 8,
                f"time_matmul(32, cpu, repeats=1) ran {total_once} matrix products and repeats=9 ran "
                f"{total_many}: time `repeats` products, one per repeat")
    expect.true(total_once == 2, f"time_matmul(32, cpu, repeats=1) ran {total_once} matrix product(s), expected 2: "
                "one untimed warm-up product, then exactly `repeats` timed ones")


# The fastest of a few figures for 3 repeats and for 30 repeats agree within this factor (noise
# only slows runs down, so each side's minimum is its quiet value); a total over the repeats
# differs 10-fold, and so does a running total (a clock started once before the loop) 8-fold.
PER_PRODUCT_FACTOR = 3.0


@check(points=3, clause="time_per_product")
def test_time_matmul_one_product(student, device, rng):
    """time_matmul reports the time of ONE product: its figures for 3 and for 30 repeats agree (a total would not)."""
    cpu = torch.device("cpu")
    few, many = [], []
    start = time.monotonic()
    for attempt in range(ATTEMPTS):
        if attempt >= MIN_ATTEMPTS and time.monotonic() - start > TIME_BUDGET:
            break
        few.append(_expect_seconds(student.time_matmul(128, cpu, 3), "time_matmul(128, cpu, repeats=3)"))
        many.append(_expect_seconds(student.time_matmul(128, cpu, 30), "time_matmul(128, cpu, repeats=30)"))
        if attempt + 1 >= MIN_ATTEMPTS and 1 / PER_PRODUCT_FACTOR <= min(many) / min(few) <= PER_PRODUCT_FACTOR:
            return
    expect.fail(f"time_matmul(128, cpu, repeats=30) reported {min(many) / min(few):.3g} times the figure for "
                "repeats=3 (the fastest of several runs each): report the median time of ONE product, whatever "
                "the number of repeats, not a total")


@check(points=3, gpu=True, clause="time_sync")
def test_time_matmul_cuda(student, device, rng):
    """time_matmul on the GPU waits for the GPU (synchronize) and reports seconds of one product."""
    dev = torch.device("cuda", 0)
    _compare_with_probe(student, 4096, dev, 10, "time_matmul(4096, cuda:0, repeats=10)")
    _compare_with_probe(student, 1024, dev, 20, "time_matmul(1024, cuda:0, repeats=20)")


def _expect_speedup_dict(got: Any, what: str) -> dict:
    expect.true(type(got) is dict, f"{what}: expected a dict, got {type(got).__name__}")
    keys = {"cpu_seconds", "gpu_seconds", "speedup"}
    expect.true(set(got) == keys, f"{what}: keys {sorted(map(str, got))}, expected {sorted(keys)}")
    for key in sorted(keys):
        _expect_seconds(got[key], f"{what}[{key!r}]")
    expected = got["cpu_seconds"] / got["gpu_seconds"]
    expect.true(math.isclose(got["speedup"], expected, rel_tol=1e-6),
                f"{what}['speedup'] is {got['speedup']:.4g}, but cpu_seconds / gpu_seconds is {expected:.4g}")
    return got


@check(points=2, gpu=True, clause="speedup_measures")
def test_gpu_speedup_measures_both_devices(student, device, rng):
    """gpu_speedup's figures agree with the checker's own CPU and GPU measurements."""
    n, repeats = 2048, 5
    result: dict = {}
    cpu_probe, gpu_probe, cpu_seconds, gpu_seconds = [], [], [], []
    start = time.monotonic()
    for attempt in range(ATTEMPTS):
        if attempt >= MIN_ATTEMPTS and time.monotonic() - start > TIME_BUDGET:
            break
        cpu_probe.append(float(student.probe("matmul_seconds", n=n, device="cpu", repeats=repeats)))
        gpu_probe.append(float(student.probe("matmul_seconds", n=n, device="cuda:0", repeats=repeats)))
        result = _expect_speedup_dict(student.gpu_speedup(n, repeats), f"gpu_speedup({n}, {repeats})")
        _expect_plausible(result["gpu_seconds"], n, torch.device("cuda"), "gpu_speedup: gpu_seconds")
        _expect_plausible(result["cpu_seconds"], n, torch.device("cpu"), "gpu_speedup: cpu_seconds")
        cpu_seconds.append(result["cpu_seconds"])
        gpu_seconds.append(result["gpu_seconds"])
        cpu_ratio = min(cpu_seconds) / min(cpu_probe)
        gpu_ratio = min(gpu_seconds) / min(gpu_probe)
        if 1 / FACTOR <= cpu_ratio <= FACTOR and 1 / FACTOR <= gpu_ratio <= FACTOR:
            return
    expect.fail(f"gpu_speedup({n}, {repeats}): cpu_seconds {min(cpu_seconds):.3g} and gpu_seconds "
                f"{min(gpu_seconds):.3g} do not match the checker's {min(cpu_probe):.3g} s and "
                f"{min(gpu_probe):.3g} s per product")
