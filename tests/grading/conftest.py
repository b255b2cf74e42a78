"""Fixtures of the grading tests (the helpers themselves live in kit.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


def load_kit():
    spec = importlib.util.spec_from_file_location("grading_test_kit", Path(__file__).with_name("kit.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def kit():
    return load_kit()


@pytest.fixture(scope="module")
def module_kit():
    """The kit, for module-scoped fixtures (a class graded once for all of a file's tests)."""
    return load_kit()


@pytest.fixture
def tiny_course(tmp_path: Path, kit) -> Path:
    return kit.make_course(tmp_path / "course")
