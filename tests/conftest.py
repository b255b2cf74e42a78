import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]


@pytest.fixture
def course_root() -> Path:
    return ROOT


@pytest.fixture(scope="session", autouse=True)
def judge_cache_of_the_session(tmp_path_factory):
    """Judges keep budgets and reference answers in the user's cache dir (judgecache.py): the
    suite uses a folder of its own, so it neither reads nor fills the developer's."""
    import os
    folder = tmp_path_factory.mktemp("judge-cache")
    saved = os.environ.get("TORCHGRADE_CACHE_DIR")
    os.environ["TORCHGRADE_CACHE_DIR"] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop("TORCHGRADE_CACHE_DIR", None)
    else:
        os.environ["TORCHGRADE_CACHE_DIR"] = saved
