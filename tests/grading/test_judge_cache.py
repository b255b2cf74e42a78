"""The judge cache (grader/grading/judgecache.py): budgets and reference answers computed once
per course version and machine, read by later judges; a stale key is never read, a damaged file
counts as empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks import refcache
from grader.course import load_course
from grader.grading import judgecache
from grader.grading.judge import Judge, JudgeSettings


def _judge(course_root: Path) -> Judge:
    settings = JudgeSettings(course_root=course_root, exercises=("ch1.basics",), device="cpu", submission_timeout=30,
                             check_timeout=3, gpu_policy="skip", memory_mb=512, max_processes=8, output_limit_kb=64)
    return Judge(settings)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TORCHGRADE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(judgecache.ENV, "on")
    monkeypatch.setenv(refcache.ENV, "on")
    refcache.CACHE.clear()
    yield tmp_path / "cache"
    refcache.CACHE.clear()


def test_budgets_and_answers_are_computed_once_per_course_version(tiny_course: Path, cache_dir: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ex = load_course(tiny_course).exercise("ch1.basics")
    first = _judge(tiny_course)
    budgets = first.budgets(ex)
    assert budgets and all(v >= 1.0 for v in budgets.values())
    answers = refcache.CACHE.export("ch1.basics::")
    assert answers                       # the tiny course's checks call the reference directly
    first.cache.save()
    [file] = cache_dir.glob("judge-*.msgpack")
    assert oct(file.stat().st_mode & 0o777) == "0o600"

    refcache.CACHE.clear()
    monkeypatch.setattr(Judge, "_calibrate", lambda self, ex: pytest.fail("calibrated again"))
    assert _judge(tiny_course).budgets(ex) == budgets      # a later judge reads them...
    assert len(refcache.CACHE.direct) + len(refcache.CACHE.entries) == len(answers)   # ...and the answers

    hidden = tiny_course / "solutions" / "ch1" / "test_basics_hidden.py"
    hidden.write_text(hidden.read_text() + "\n# a new version of the checks\n")
    calibrated = []
    monkeypatch.setattr(Judge, "_calibrate", lambda self, ex: calibrated.append(ex.id) or {"x": 2.0})
    assert _judge(tiny_course).budgets(load_course(tiny_course).exercise("ch1.basics")) == {"x": 2.0}
    assert calibrated == ["ch1.basics"]    # a stale entry is never read


@pytest.mark.parametrize("content", [b"", b"\x00garbage", b"\x92\x01\x02",
                                     b"\x82\xa6format\x01\xa7entries\x81\xa1k\xa5hello"])
def test_a_damaged_cache_file_counts_as_empty_and_is_rewritten(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "judge-x.msgpack"
    path.write_bytes(content)
    cache = judgecache.JudgeCache(path)
    assert cache.get("k") is None
    cache.put("k", {"budgets": {"c": 1.5}})
    cache.save()
    assert judgecache.JudgeCache(path).get("k")["budgets"] == {"c": 1.5}


def test_budgets_of_the_wrong_shape_are_not_used() -> None:
    assert judgecache.valid_budgets({"c": 1.5}) == {"c": 1.5}
    for bad in (None, [], {"c": 1}, {"c": float("nan")}, {"c": -1.0}, {1: 1.0}, {"c": "1"}):
        assert judgecache.valid_budgets(bad) is None
