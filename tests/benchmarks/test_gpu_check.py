"""benchmarks/gpu_check.py: its CPU path, and the rule that compares a CUDA with a CPU grading."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"


def _module():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _grades(checks: dict[str, tuple[str, float]]) -> dict:
    return {"students": [{"student": "s1", "exercises": {"ch5.gpu": {
        "status": "graded", "score": sum(p for _, p in checks.values()),
        "checks": [{"name": name, "status": status, "points": points} for name, (status, points) in checks.items()],
    }}}]}


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: the script runs its checks instead")
def test_without_cuda_it_says_so_in_one_line_and_exits_0():
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines() == [
        "gpu_check: no CUDA GPU on this machine (torch.cuda.is_available() is False); nothing to check"]


def test_same_points_on_both_devices_is_no_difference():
    gpu_check = _module()
    run = _grades({"a": ("passed", 1.0), "b": ("failed", 0.0)})
    assert gpu_check.grade_differences(run, run) == ([], 0)


def test_checks_the_gpu_policy_skips_are_left_out():
    gpu_check = _module()
    cuda = _grades({"a": ("passed", 1.0), "speedup": ("passed", 2.0)})
    cpu = _grades({"a": ("passed", 1.0), "speedup": ("skipped", 0.0)})
    assert gpu_check.grade_differences(cuda, cpu) == ([], 1)


def test_a_device_dependent_score_is_reported():
    gpu_check = _module()
    cuda = _grades({"keeps_device": ("failed", 0.0), "a": ("passed", 1.0)})
    cpu = _grades({"keeps_device": ("passed", 2.0)})
    differences, exempt = gpu_check.grade_differences(cuda, cpu)
    assert exempt == 0
    assert differences == ["s1/ch5.gpu/a: only in the cuda run",
                           "s1/ch5.gpu/keeps_device: cuda failed 0, cpu passed 2"]
