"""Shared pieces of the export tests: the real course, a Jupyter kernel running this venv's
Python, and isolated Jupyter folders so a user's own setup cannot change what a test sees."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from grader.course import Course, load_course

ROOT = Path(__file__).resolve().parents[2]
KERNEL_NAME = "torchgrade-test"


@pytest.fixture(scope="session")
def real_course() -> Course:
    return load_course(ROOT)


@pytest.fixture(scope="module")
def jupyter_env(tmp_path_factory: pytest.TempPathFactory):
    """A kernelspec for sys.executable in a private JUPYTER_PATH (the venv's own python3 spec runs
    whatever `python` is first on PATH); environment variables restored after the module, so
    other test modules never see them."""
    base = tmp_path_factory.mktemp("jupyter")
    spec = base / "data" / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "torchgrade test kernel", "language": "python"}), encoding="utf-8")
    values = {"JUPYTER_PATH": str(base / "data"), "JUPYTER_DATA_DIR": str(base / "data"),
              "JUPYTER_CONFIG_DIR": str(base / "config"), "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
              "IPYTHONDIR": str(base / "ipython"), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    saved = {k: os.environ.get(k) for k in [*values, "TORCHGRADE_COURSE"]}
    os.environ.update(values)
    # check() must find its checks on its own (cwd or the packaged copy), as in Colab.
    os.environ.pop("TORCHGRADE_COURSE", None)
    yield KERNEL_NAME
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes tens of seconds (a fresh venv, real kernels)")
