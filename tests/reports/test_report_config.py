"""course.toml's [report] table: the similarity threshold, read strictly."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.course import CourseError, load_course


def test_threshold_default_value_and_mistakes(tiny_course: Path) -> None:
    assert load_course(tiny_course).report.similarity_threshold == 0.6
    toml = tiny_course / "course.toml"
    base = toml.read_text()
    toml.write_text(base + "\n[report]\nsimilarity_threshold = 0.8\n")
    assert load_course(tiny_course).report.similarity_threshold == 0.8
    toml.write_text(base + "\n[report]\nsimilarity_threshold = 1.5\n")
    with pytest.raises(CourseError, match=r"report.similarity_threshold must be a number in \(0, 1\]"):
        load_course(tiny_course)
    toml.write_text(base + "\n[report]\nsimilarity_treshold = 0.5\n")
    with pytest.raises(CourseError, match="did you mean 'similarity_threshold'"):
        load_course(tiny_course)


def test_the_real_course_sets_it() -> None:
    root = Path(__file__).resolve().parents[2]
    assert "similarity_threshold" in (root / "course.toml").read_text()
    assert 0 < load_course(root).report.similarity_threshold <= 1
