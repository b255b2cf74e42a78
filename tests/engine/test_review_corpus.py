"""Few false alarms, measured: the judge's review holds at most 1 % of honest exercise files.

Honest code is every reference solution, every correct and wrong variant (a wrong variant is an
honest mistake), the demo class's honest students, the course's notebooks as a student gets them
and with the reference filled in (converted as the grader converts a hand-in), and a corpus of
student code modelled on public d2l work (tests/review_corpus, each file citing its source).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.grading.review import review_submission
from grader.course import Exercise, load_course
from grader.export.notebooks import notebook_for
from grader.grading.sources import notebook_to_module
from grader.grading.submissions import ExerciseFiles

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "review_corpus"
DEMO = ROOT / "examples" / "submissions"
ADVERSARIAL_DEMO = "mallory_adversarial"
MAX_HELD = 0.01


@dataclass
class Honest:
    where: str
    exercise: Exercise
    module: str                 # the module a worker would import


def _files(module: str) -> ExerciseFiles:
    return ExerciseFiles("x", files={"m.py": module.encode()}, module_file="m.py")


def _by_file(course) -> dict[str, Exercise]:
    return {ex.file: ex for ex in course.exercises.values()}


def honest_code() -> list[Honest]:
    course = load_course(ROOT)
    out: list[Honest] = []
    for ex in course.exercises.values():
        out.append(Honest(str(ex.solution_path.relative_to(ROOT)), ex, ex.solution_path.read_text()))
        for path in sorted(ex.variants_dir.glob("*.py")) if ex.variants_dir.is_dir() else []:
            out.append(Honest(str(path.relative_to(ROOT)), ex, path.read_text()))
        if ex.notebook_path.is_file():
            module, _ = notebook_to_module(ex.notebook_path.read_bytes(), ex.notebook_path.name)
            out.append(Honest(str(ex.notebook_path.relative_to(ROOT)), ex, module))
        filled = notebook_for(ex, ex.solution_path.read_text(), course=course)
        module, _ = notebook_to_module(filled.encode(), ex.notebook_path.name)
        out.append(Honest(f"{ex.id} notebook with the reference filled in", ex, module))
    by_file = _by_file(course)
    for path in sorted(DEMO.rglob("*")):
        rel = path.relative_to(DEMO)
        if rel.parts[0] == ADVERSARIAL_DEMO or path.suffix not in (".py", ".ipynb"):
            continue
        inner = rel.parts[1:][1:] if rel.parts[1:2] == ("exercises",) else rel.parts[1:]
        ex = by_file.get("/".join(inner).removesuffix(".ipynb").removesuffix(".py") + ".py")
        if ex is None:
            continue
        if path.suffix == ".ipynb":
            module, _ = notebook_to_module(path.read_bytes(), path.name)
        else:
            module = path.read_text()
        out.append(Honest(str(path.relative_to(ROOT)), ex, module))
    for path in sorted(CORPUS.rglob("*.py")):
        text = path.read_text()
        found = re.search(r"^# exercise: (\S+)$", text, re.M)
        assert found, f"{path}: the second line names the exercise (# exercise: ch4.dropout)"
        out.append(Honest(str(path.relative_to(ROOT)), course.exercise(found.group(1)), text))
    return out


@pytest.fixture(scope="module")
def reviewed() -> list[tuple[Honest, list[str]]]:
    return [(h, review_submission(_files(h.module), h.exercise)) for h in honest_code()]


def test_at_most_one_percent_of_honest_files_are_held(reviewed) -> None:
    held = [(h.where, findings) for h, findings in reviewed if findings]
    share = len(held) / len(reviewed)
    corpus = sum(1 for h, _ in reviewed if h.where.startswith("tests/review_corpus"))
    print(f"\nreview of honest code: {len(reviewed)} files ({corpus} from the public-code corpus), "
          f"{len(held)} held, {share:.2%}")
    for where, findings in held:
        print(f"  held: {where}: {findings}")
    assert len(reviewed) >= 100 and corpus >= 40
    assert share <= MAX_HELD, held


def test_every_corpus_file_cites_its_source() -> None:
    for path in sorted(CORPUS.rglob("*.py")):
        first = path.read_text().splitlines()[0]
        assert re.fullmatch(r"# source: github\.com/[\w.-]+/[\w.-]+ .+ lines \d+-\d+ \(rewritten for ch\d\.\w+\)",
                            first), (path, first)


def test_no_reference_solution_or_variant_is_held(reviewed) -> None:
    """The course's own code is honest by definition: none of it may be held."""
    held = [h.where for h, findings in reviewed if findings and h.where.startswith("solutions/")]
    assert not held


def test_the_notebooks_own_check_cell_is_never_a_finding(reviewed) -> None:
    notebooks = [(h, f) for h, f in reviewed if h.where.startswith("exercises/") or h.where.endswith("filled in")]
    assert len(notebooks) >= 60
    assert all("from grader.notebook import check" in h.module for h, _ in notebooks)
    assert not [h.where for h, f in notebooks if f]


def test_the_demo_class_adversary_is_held() -> None:
    course = load_course(ROOT)
    by_file = _by_file(course)
    for path in sorted((DEMO / ADVERSARIAL_DEMO).rglob("*.py")):
        ex = by_file["/".join(path.relative_to(DEMO / ADVERSARIAL_DEMO).parts)]
        assert review_submission(_files(path.read_text()), ex), path
