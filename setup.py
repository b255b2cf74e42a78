"""Packaging hook; everything else is in pyproject.toml.

A wheel of the course (what `pip install git+...` builds, e.g. in Colab) carries the public part
of the course inside the package, as grader/course_data: course.toml and the visible tests. That
is all `check("ch4.dropout")` needs in a notebook. Nothing from solutions/ is copied. Editable
installs need no copy: grader.course.installed_course_root finds the repository itself.
The student release writes the same set with grader.export.notebooks.course_data_outputs; this
hook cannot import that (an isolated build has setuptools, not torch), hence the short twin.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
NOTE = '"""Copied at build time by setup.py: course.toml and the visible tests, nothing secret."""\n'


class BuildPyWithCourse(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        files = {"__init__.py": NOTE, "course.toml": (ROOT / "course.toml").read_text(encoding="utf-8"),
                 "exercises/__init__.py": NOTE}
        for test in sorted((ROOT / "exercises").glob("*/test_*.py")):
            files[f"exercises/{test.parent.name}/__init__.py"] = NOTE
            files[f"exercises/{test.parent.name}/{test.name}"] = test.read_text(encoding="utf-8")
        target = Path(self.build_lib) / "grader" / "course_data"
        for rel, text in files.items():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            (target / rel).write_text(text, encoding="utf-8")


setup(cmdclass={"build_py": BuildPyWithCourse})
