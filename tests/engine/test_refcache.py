"""The reference cache: a reference answer is computed once per check and input, and grades are
exactly the same with and without it (the validate variants of every exercise, the demo class)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

from grader.checks import specs, codec, refcache
from grader.checks.executor import Executor
from grader.checks.runner import collect_checks, load_reference, run_checks
from grader.checks.student import LocalTransport, Student, reference_call
from grader.course import load_course
from grader.validate import targets_for

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course(ROOT)


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch) -> refcache.ReferenceCache:
    monkeypatch.setenv(refcache.ENV, "on")
    refcache.CACHE.clear()
    yield refcache.CACHE
    refcache.CACHE.clear()


def test_same_check_and_input_runs_the_reference_once(cache: refcache.ReferenceCache) -> None:
    calls = []

    def ref(net, x):
        calls.append(1)
        return net(x)

    spec = specs.mlp([3, 4, 2], seed=3, label="net")
    x = torch.arange(6.0).reshape(2, 3)
    with refcache.running_check("c1", 0):
        first = reference_call(ref, spec, x)
        again = reference_call(ref, spec, x)
        other = reference_call(ref, spec, x + 1)
    assert len(calls) == 2 and cache.hits == 1
    assert torch.equal(first[0], again[0]) and codec.dumps(first[1]) == codec.dumps(again[1]) and not torch.equal(first[0], other[0])
    again[0].add_(1)                                   # a hit is a fresh object, never shared
    with refcache.running_check("c1", 0):
        assert torch.equal(reference_call(ref, spec, x)[0], first[0])
    with refcache.running_check("c2", 0):             # another check never sees c1's answers
        reference_call(ref, spec, x)
    assert len(calls) == 3
    reference_call(ref, spec, x)                       # outside a graded check: no cache
    assert len(calls) == 4


@pytest.mark.parametrize("seed", [None, 5])
def test_calls_that_draw_from_the_global_rng_replay_exactly(seed: int | None, cache: refcache.ReferenceCache,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def ref(net, x):
        return net(x) + torch.rand(3)

    spec = specs.mlp([3, 3], seed=1, label="net")

    def one_student() -> list:
        torch.manual_seed(7)
        with refcache.running_check("c", 0):
            out = [reference_call(ref, spec, torch.zeros(1, 3), _seed=seed)[0] for _ in range(2)]
        return out + [torch.rand(1)]                   # what the check draws after the calls

    monkeypatch.setenv(refcache.ENV, "off")
    plain = one_student()
    monkeypatch.setenv(refcache.ENV, "on")
    cached = [one_student(), one_student()]
    # unseeded, the answer depends on the global RNG: never kept; seeded, computed once
    assert cache.hits == (0 if seed is None else 3)
    for run in cached:
        assert all(torch.equal(a, b) for a, b in zip(run, plain, strict=True))


def _grade_targets(ex_id: str) -> list:
    ex = COURSE.exercise(ex_id)
    checks = collect_checks(COURSE, ex_id, hidden=True)
    out = []
    for target in targets_for(ex)[0]:
        executor = Executor.from_file(target.path, f"tg_refcache_{ex.chapter}_{ex.name}_{target.name}",
                                      forbid=ex.forbid)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = run_checks(checks, Student(LocalTransport(executor), ex),
                                 reference_module=load_reference(ex), device="cpu", gpu_available=False)
        # status and points: a timing check's message carries the measured times, which differ
        out.append((target.name, [(r.name, r.status, r.points) for r in results]))
    return out


# One exercise per chapter, and the ones whose checks lean most on builds and reference_call
# records (all 33 would run `grader validate` twice more inside the suite; CI runs it once).
SAMPLE = ["ch2.autograd", "ch3.training", "ch3.linear_regression", "ch4.dropout", "ch4.model_selection",
          "ch5.parameters", "ch6.convolution", "ch6.training_gpu", "ch7.batch_norm"]


@pytest.mark.parametrize("ex_id", SAMPLE)
def test_validate_variants_grade_the_same_without_the_cache(ex_id: str, cache: refcache.ReferenceCache,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(refcache.ENV, "off")
    plain = _grade_targets(ex_id)
    monkeypatch.setenv(refcache.ENV, "on")
    # the solution fills the cache; the stub and every variant after it grade against hits
    assert _grade_targets(ex_id) == plain


def _checks_of(out: Path) -> dict:
    doc = json.loads((out / "grades.json").read_text())
    return {(s["student"], ex_id, c["name"]): (c["status"], c["points"])
            for s in doc["students"] for ex_id, e in s["exercises"].items() for c in e.get("checks", [])}


def test_demo_class_grades_the_same_without_the_cache(tmp_path: Path) -> None:
    outs = {}
    for mode in ("off", "on"):
        env = dict(os.environ, PYTHONPATH=str(ROOT), **{refcache.ENV: mode})
        outs[mode] = tmp_path / mode
        proc = subprocess.run([sys.executable, "-m", "grader.cli", "--course", str(ROOT), "grade",
                               str(ROOT / "examples" / "submissions"), "--out", str(outs[mode])],
                              env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    plain, cached = _checks_of(outs["off"]), _checks_of(outs["on"])
    assert plain and cached == plain


def test_direct_reference_calls_are_kept_only_when_replaying_is_exact(cache: refcache.ReferenceCache) -> None:
    import types
    module = types.ModuleType("tg_fake_reference")
    calls = []

    def total(x):
        calls.append("total")
        return x.sum(dim=0)

    def scale_(x):
        calls.append("scale_")
        return x.mul_(2)

    def noisy(x):
        calls.append("noisy")
        return x + torch.rand(x.shape)

    for fn in (total, scale_, noisy):
        fn.__module__ = module.__name__
        setattr(module, fn.__name__, fn)
    ref = refcache.CachedReference(module)
    for _ in range(2):                                    # two students
        with refcache.running_check("c", 0):
            got = ref.total(torch.ones(2, 3))
            got.add_(1)                                    # the check's copy, not the kept one
            x = torch.ones(3)
            ref.scale_(x)
            assert torch.equal(x, torch.full((3,), 2.0))  # in place: runs every time
            ref.noisy(torch.zeros(2))                     # draws from the global RNG: runs every time
            ref.total(torch.ones(2, 3, requires_grad=True))   # autograd: runs every time
    assert calls.count("total") == 3 and calls.count("scale_") == 2 and calls.count("noisy") == 2
    with refcache.running_check("c", 0):
        assert torch.equal(ref.total(torch.ones(2, 3)), torch.full((3,), 2.0))
    assert calls.count("total") == 3


@pytest.mark.parametrize("ex_id", ["ch2.autograd", "ch3.linear_regression"])
def test_answers_carried_to_another_process_grade_the_same(ex_id: str, cache: refcache.ReferenceCache,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """What a judge keeps between runs (judgecache.py): exported, through MessagePack as in the
    cache file, loaded into an empty cache; every target grades as without any cache."""
    import msgpack
    monkeypatch.setenv(refcache.ENV, "off")
    plain = _grade_targets(ex_id)
    monkeypatch.setenv(refcache.ENV, "on")
    _grade_targets(ex_id)
    records = msgpack.unpackb(msgpack.packb(cache.export(f"{ex_id}::"), use_bin_type=True), raw=False)
    assert records and cache.export("ch0.none::") == []
    cache.clear()
    assert cache.load(records) == len(records)
    assert _grade_targets(ex_id) == plain
    assert cache.hits > 0
    assert cache.load([{"kind": "call", "key": "not bytes"}, {"kind": "direct"}, None, "x"]) == 0
