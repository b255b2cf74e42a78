"""A file that `grader build` generates (a stub, a notebook, a README block) and whether the copy
on disk is current. Its own module so that the authoring side and the exporters that make such
files import it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Output:
    path: Path
    content: str

    def is_current(self) -> bool:
        return self.path.is_file() and self.path.read_text(encoding="utf-8") == self.content
