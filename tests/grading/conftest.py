"""Fixtures of the grading tests (the helpers themselves live in kit.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def load_module(file: str = "kit.py"):
    """A helper module of these tests (kit.py, lms_downloads.py), loaded by path: the tests run
    with --import-mode=importlib, where tests/ is not a package."""
    spec = importlib.util.spec_from_file_location(f"grading_test_{file[:-3]}", Path(__file__).with_name(file))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module      # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def load_kit():
    return load_module("kit.py")


@pytest.fixture
def kit():
    return load_kit()


@pytest.fixture
def lms():
    """Builders of LMS downloads as each LMS writes them (lms_downloads.py)."""
    return load_module("lms_downloads.py")


@pytest.fixture
def tiny_course(tmp_path: Path, kit) -> Path:
    return kit.make_course(tmp_path / "course")
