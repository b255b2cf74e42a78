import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]


def pytest_configure(config):
    # torch's lazy imports (torch._dynamo and the operator libraries it registers in C++) happen
    # now, once: the local student proxy warms them before its first timed call, and inside a
    # pytester in-process run that restores sys.modules afterwards, the next import would
    # register the same operators twice ("Only a single TORCH_LIBRARY ...")
    from grader.checks.student import warm_torch
    warm_torch()


@pytest.fixture
def course_root() -> Path:
    return ROOT


@pytest.fixture
def one_exercise_course(course_root: Path, tmp_path: Path):
    """make(exercise_id, check_timeout=None) -> a course folder holding that exercise alone (its
    course.toml sections, solution, stub, visible and hidden checks; no variants)."""
    def make(exercise_id: str, check_timeout: float | None = None) -> Path:
        import re
        from grader.course import load_course
        ex = load_course(course_root).exercise(exercise_id)
        toml = (course_root / "course.toml").read_text()
        head = toml.split("[chapters.")[0]
        if check_timeout is not None:
            head = re.sub(r"(?m)^check_timeout = \S+", f"check_timeout = {check_timeout:g}", head)
        start = toml.index(f"[exercises.{exercise_id}]")
        following = [m.start() for m in re.finditer(r"(?m)^\[exercises\.", toml)
                     if m.start() > start and not toml.startswith(f"[exercises.{exercise_id}.", m.start())]
        section = toml[start:following[0] if following else len(toml)]
        (tmp_path / "course.toml").write_text(f'{head}[chapters.{ex.chapter}]\ntitle = "{ex.chapter}"\n\n{section}')
        for path in (ex.solution_path, ex.hidden_checks_path, ex.visible_tests_path, ex.stub_path):
            if path.is_file():
                target = tmp_path / path.relative_to(course_root)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
        return tmp_path
    return make
