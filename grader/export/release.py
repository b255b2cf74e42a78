"""The student release: everything a student gets, and a leak scan that proves nothing secret is
in it.

What goes in: course.toml, exercises/ (stubs, notebooks, visible tests), the engine parts a
student runs (the pytest plugin, `grader.notebook.check`, `grader.checks`, `grader.course`, and
the `grader/course_data` copy of the visible checks), a student README and a pyproject that
installs. What never goes in: anything from solutions/, and the instructor-side engine
(authoring, grading, sandbox, export, validate, the CLI), which would only add files that mention
solution markers.

The leak scan reads every file in the release (notebooks decoded, so escaped JSON cannot hide a
line) and fails on: a solution marker; a line of a reference solution's answers (text between the
markers, whitespace normalised, >= 20 characters) anywhere in the release, another exercise's
stub or demo cell included; a line of any other file under solutions/ (hidden checks, variants,
...) that is not also public (in a generated stub or the shipped engine); a file named like a
hidden check. An answer line that the exercise's own stub repeats (a hint that quotes it) is not
a leak, since the instructor wrote it there, but a warning the instructor sees.

It stays one module although it is long: the build and the scan it ends with must agree on what
is public (the stubs, the engine files shipped), and reading them together is how that is checked.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import tomli_w

from grader.authoring import outputs_for
from grader.course import COURSE_FILE, Course
from grader.errors import GraderError
from grader.markers import ALL, answer_lines
from grader.export.notebooks import colab_badge_url, course_data_outputs, install_url

MIN_NEEDLE = 20
# Another exercise's stub or notebook may share an idiom or two with an answer
# (`optimizer.zero_grad()`); this many distinct answer lines of other exercises in one of them is
# a copied answer (a demo cell that rebuilds a training loop), and each line is reported.
CROSS_MIN = 3
MARKERS = ALL
RELEASE_STAMP = ".torchgrade-release"

# The engine a student runs, relative to grader/. Instructor-only modules stay out: they hold no
# secrets, but they name the solution markers and are of no use without solutions/.
ENGINE_FILES = ("__init__.py", "course.py", "course_schema.py", "errors.py", "pytest_plugin.py", "notebook.py",
                "student_view.py", "pack.py", "results.py",
                # `grader pack` checks a notebook as the grader will read it
                "grading/__init__.py", "grading/sources.py")
ENGINE_DIRS = ("checks",)
ENGINE_SKIP = ("API.md",)  # the check-writing contract documents the solution markers

_WS = re.compile(r"\s+")
_HIDDEN_NAME = re.compile(r"_hidden(_\w+)?\.py$|(^|/)solutions(/|$)")


class ReleaseError(GraderError):
    """The release cannot be built (stale stubs, a bad output folder) or leaks something."""


@dataclass(frozen=True)
class Leak:
    path: str          # relative to the release folder
    line: int          # 1-based line in the (decoded) file, 0 for the file itself
    kind: str          # marker | solution | secret | file | quoted (a warning, not a leak)
    source: str        # where the leaked text comes from
    text: str          # the normalised text found (shown to the instructor only)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        what = {"marker": "a solution marker", "solution": "a reference solution line",
                "secret": "a line of an instructor-only file", "file": "an instructor-only file",
                "quoted": "the stub quotes an answer line"}[self.kind]
        return f"{where}: {what} from {self.source}: {self.text[:120]!r}"


@dataclass
class ReleaseReport:
    out: Path
    files: list[str] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)
    warnings: list[Leak] = field(default_factory=list)   # kind "quoted": shown, not fatal
    needles: int = 0


def normalise(line: str) -> str:
    return _WS.sub(" ", line).strip()


# ---------------------------------------------------------------- what must not leak

_solution_blocks = answer_lines     # the name the release's tests know it by


def _text_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix not in (".pyc", ".png", ".jpg", ".pt", ".pth", ".zip", ".gz"))


def _normalised_text(texts: list[str]) -> str:
    return "\n".join(normalise(ln) for text in texts for ln in text.splitlines())


def _stub_texts(course: Course) -> dict[str, str]:
    """Normalised text of each exercise's generated stub (its solution file outside the markers)."""
    return {ex.id: _normalised_text([o.content for o in outputs_for(ex) if o.path.suffix == ".py"])
            for ex in course.exercises.values() if ex.solution_path.is_file()}


def _public_texts(course: Course) -> tuple[str, str, str]:
    """Normalised text the release may contain even where a secret file has it too.

    First: the shipped engine and course.toml, where an answer line may stand (a helper the
    engine also has). Second: that plus every generated stub: they come from the solutions by
    design, so a hidden check's line they hold is public. Third: that plus the visible tests,
    which the instructor publishes on purpose; a line they share with a hidden check (imports,
    `EXERCISE = ...`, a common call) is not a leak of the hidden check. Answer lines are looked
    for in every stub but the exercise's own (see `quoted_answers`) and in visible tests."""
    common = [(course.root / COURSE_FILE).read_text(encoding="utf-8")]
    common += [p.read_text(encoding="utf-8", errors="replace") for p in _engine_sources(course)]
    stubs = list(_stub_texts(course).values())
    visible = [ex.visible_tests_path.read_text(encoding="utf-8") for ex in course.exercises.values()
               if ex.visible_tests_path.is_file()]
    return (_normalised_text(common), "\n".join([_normalised_text(common)] + stubs),
            "\n".join([_normalised_text(common + visible)] + stubs))


def _answer_lines(course: Course) -> dict[str, list[str]]:
    """exercise id -> the normalised lines of its reference answers long enough to look for."""
    out: dict[str, list[str]] = {}
    for ex in course.exercises.values():
        if ex.solution_path.is_file():
            lines = (normalise(ln) for ln in answer_lines(ex.solution_path.read_text(encoding="utf-8")))
            out[ex.id] = [n for n in lines if len(n) >= MIN_NEEDLE]
    return out


def quoted_answers(course: Course) -> dict[str, set[str]]:
    """exercise id -> its answer lines that its own stub repeats (a hint quoting the answer).

    The release keeps them (the instructor put them there) and the scan reports each as a
    warning; the same line anywhere else in the release is a leak."""
    stubs = _stub_texts(course)
    return {ex_id: {n for n in lines if n in stubs.get(ex_id, "")}
            for ex_id, lines in _answer_lines(course).items()}


def needles(course: Course) -> dict[str, tuple[str, str]]:
    """normalised text -> (kind, where it comes from)."""
    found: dict[str, tuple[str, str]] = {}
    common, public, published = _public_texts(course)
    solutions = course.root / "solutions"
    reference = {ex.solution_path.resolve() for ex in course.exercises.values()}
    for ex_id, lines in _answer_lines(course).items():
        rel = course.exercise(ex_id).solution_path.relative_to(course.root).as_posix()
        for n in lines:
            if n not in found and n not in common:
                found[n] = ("solution", rel)
    for path in _text_files(solutions) if solutions.is_dir() else []:
        rel = path.relative_to(course.root).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.resolve() in reference:
            continue
        for line in text.splitlines():
            n = normalise(line)
            if len(n) >= MIN_NEEDLE and n not in found and n not in published:
                found[n] = ("secret", rel)
    return found


def _decoded_lines(path: Path) -> list[str]:
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            nb = json.loads(text)
        except ValueError:
            return text.splitlines()
        lines: list[str] = []

        def walk(node: object) -> None:
            if isinstance(node, str):
                lines.extend(node.splitlines())
            elif isinstance(node, list):
                for x in node:
                    walk(x)
            elif isinstance(node, dict):
                for x in node.values():
                    walk(x)
        # Cell sources are lists of lines; join them per cell so a line is a line again.
        for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
            src = cell.get("source", "")
            lines.extend(("".join(src) if isinstance(src, list) else str(src)).splitlines())
            walk(cell.get("outputs", []))
            walk(cell.get("metadata", {}))
        walk(nb.get("metadata", {}) if isinstance(nb, dict) else {})
        return lines
    return text.splitlines()


def _secret_digests(course: Course) -> dict[str, str]:
    """sha256 -> path of every non-trivial file under solutions/, binary ones included (a copied
    weights file or data file has no lines to match)."""
    solutions = course.root / "solutions"
    digests: dict[str, str] = {}
    if solutions.is_dir():
        for p in sorted(solutions.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and p.stat().st_size >= MIN_NEEDLE:
                digests.setdefault(hashlib.sha256(p.read_bytes()).hexdigest(),
                                   p.relative_to(course.root).as_posix())
    return digests


def leak_scan(course: Course, out: Path) -> list[Leak]:
    """Every leak in the folder `out`; empty when it is safe to publish."""
    return [lk for lk in scan_release(course, out) if lk.kind != "quoted"]


def scan_release(course: Course, out: Path) -> list[Leak]:
    """Every leak in the folder `out`, and (kind "quoted") each answer line a stub quotes."""
    out = Path(out)
    table = needles(course)
    long_needles = sorted(table)
    digests = _secret_digests(course)
    # A released file of an exercise may repeat that exercise's own quoted answer lines.
    quoted = quoted_answers(course)
    answers_of: dict[str, set[str]] = {}      # answer line -> the exercises it is an answer of
    for ex_id, lines_of_ex in _answer_lines(course).items():
        for n in lines_of_ex:
            answers_of.setdefault(n, set()).add(ex_id)
    owner: dict[str, str] = {}                # released stub/notebook -> its exercise
    for ex in course.exercises.values():
        for path in (ex.stub_path, ex.notebook_path):
            owner[path.relative_to(course.root).as_posix()] = ex.id
    leaks: list[Leak] = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if "__pycache__" in path.parts:
            continue
        if _HIDDEN_NAME.search(rel):
            leaks.append(Leak(rel, 0, "file", "solutions/", rel))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in digests:
            leaks.append(Leak(rel, 0, "file", digests[digest], "an exact copy"))
        lines = [normalise(ln) for ln in _decoded_lines(path)]
        joined = "\n".join(lines)
        for marker in MARKERS:
            if marker in joined:
                number = next(i for i, ln in enumerate(lines, 1) if marker in ln)
                leaks.append(Leak(rel, number, "marker", "the solution markers", marker))
        file_ex = owner.get(rel)
        borrowed: list[Leak] = []             # answer lines of other exercises in this one's files
        for n in long_needles:
            # Substring, not whole line: an answer pasted into a comment or a string still counts.
            if n in joined:
                number = next((i for i, ln in enumerate(lines, 1) if n in ln), 0)
                kind, source = table[n]
                if kind == "solution" and file_ex is not None:
                    if file_ex not in answers_of.get(n, set()):
                        borrowed.append(Leak(rel, number, kind, source, n))
                        continue
                    if n in quoted.get(file_ex, set()):
                        kind = "quoted"
                leaks.append(Leak(rel, number, kind, source, n))
        if len(borrowed) >= CROSS_MIN:
            leaks += sorted(borrowed, key=lambda lk: lk.line)
    return leaks


# ---------------------------------------------------------------- building the release

def _engine_sources(course: Course) -> list[Path]:
    engine = Path(__file__).resolve().parents[1]
    files = [engine / name for name in ENGINE_FILES]
    for d in ENGINE_DIRS:
        files += [p for p in sorted((engine / d).rglob("*")) if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix in (".py", ".md", ".txt") and p.name not in ENGINE_SKIP]
    return [p for p in files if p.is_file()]


def _pyproject(course: Course) -> str:
    deps: list[str] = ["torch", "pytest", "numpy", "nbformat", "msgpack"]
    source = course.root / "pyproject.toml"
    if source.is_file():
        project = tomllib.loads(source.read_text(encoding="utf-8")).get("project", {})
        # Same pins as the course repository, minus what only instructors use.
        deps = [d for d in project.get("dependencies", deps)
                if not d.split(";")[0].strip().lower().startswith(("nbgrader", "click", "rich", "tomli-w", "distributed", "dask"))]
    return tomli_w.dumps({
        "build-system": {"requires": ["setuptools>=64"], "build-backend": "setuptools.build_meta"},
        "project": {"name": "torchgrade", "version": course.version,
                    "description": f"{course.title} (student release)", "readme": "README.md",
                    "requires-python": ">=3.10", "dependencies": deps,
                    "entry-points": {"pytest11": {"torchgrade": "grader.pytest_plugin"}},
                    "scripts": {"grader": "grader.pack:main"}},     # `grader pack`: the hand-in zip
        "tool": {"setuptools": {"packages": {"find": {"include": ["grader*"]}},
                                "package-data": {"grader": ["**/*.md", "**/*.toml"]}},
                 "pytest": {"ini_options": {"addopts": "--import-mode=importlib -p no:cacheprovider",
                                            "testpaths": ["exercises"]}}},
    })


def _readme(course: Course) -> str:
    rows = []
    for ex in course.exercises.values():
        if not ex.stub_path.is_file():
            continue
        nb = ex.notebook_path.relative_to(course.root).as_posix()
        badge = (f" [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                 f"({colab_badge_url(course, ex)})" if course.notebook.colab_url else "")
        rows.append(f"| `{ex.id}` | {ex.title} | `exercises/{ex.file}` | `{nb}`{badge} | {ex.points:g} |")
    url = install_url(course)
    return "\n".join([
        f"# {course.title}",
        "",
        f"Exercises for the course, version {course.version}. Every exercise explains an idea and "
        "asks you to write one or two functions or classes; visible checks tell you how you are doing.",
        "",
        "## Working locally",
        "",
        "```bash",
        "python3 -m venv .venv && . .venv/bin/activate",
        "pip install -e .",
        "# read and fill in exercises/ch4/dropout.py, then:",
        "pytest exercises/ch4",
        "```",
        "",
        "pytest runs the visible checks of the chapter and ends with your points, e.g. "
        "`ch4.dropout: 4/7 visible points`. A failure says what is wrong (expected vs got, shapes, "
        "dtypes, a built-in the exercise does not allow). A GPU is used when there is one.",
        "",
        "## Working in a notebook (Jupyter or Colab)",
        "",
        "Each exercise also comes as a notebook next to its `.py` file. The first cell installs the "
        "course package when it runs in Colab" + (f" (`pip install {url}`)" if url else "") +
        " and does nothing elsewhere; the last cell, `check(\"ch4.dropout\")`, runs the same visible "
        "checks on the functions you defined in the notebook and prints your points.",
        "",
        "| exercise | title | file | notebook | points |",
        "| --- | --- | --- | --- | --- |",
        *rows,
        "",
        "## Hand-in",
        "",
        "```bash",
        "grader pack            # writes hand-in.zip (or: python -m grader.pack)",
        "```",
        "",
        "`grader pack` zips exactly the files the grader reads, in the layout it expects: for each "
        "exercise the file you worked in (`exercises/chN/<name>.py`, or the notebook beside it when the "
        ".py is still the stub or the notebook is the newer), and says which it took and which "
        "exercises are still untouched stubs. It adds a `manifest.json` of exercise ids, file hashes "
        "and the time, refuses a file over the grader's size limit (clear a notebook's outputs), and "
        "runs the visible checks on what it zipped, printing your points. Hand in `hand-in.zip` as "
        "your instructor asks. The grader runs the "
        "visible checks and more hidden checks of the same kind in a sandbox, so code that only "
        "fits the visible checks will lose points.",
        "",
    ])


def _copy(src: Path, dst: Path, report: ReleaseReport, out: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    report.files.append(dst.relative_to(out).as_posix())


def _write(dst: Path, text: str, report: ReleaseReport, out: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(text, encoding="utf-8")
    report.files.append(dst.relative_to(out).as_posix())


def _prepare_out(course: Course, out: Path, force: bool) -> None:
    root = course.root.resolve()
    target = out.resolve()
    if target == root or root.is_relative_to(target) or target.is_relative_to(root / "solutions") \
            or target.is_relative_to(root / "exercises") or target.is_relative_to(root / "grader"):
        raise ReleaseError(f"{out}: choose an output folder outside the course's own folders "
                           "(e.g. ../release or a fresh directory)")
    if target.exists():
        if not target.is_dir():
            raise ReleaseError(f"{out} exists and is not a folder")
        if any(target.iterdir()):
            if not force or not (target / RELEASE_STAMP).is_file():
                raise ReleaseError(f"{out} is not empty; give an empty or new folder"
                                   + (" (--force only replaces an earlier release)" if force else
                                      ", or --force to replace an earlier release there"))
            shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)


def stale_outputs(course: Course) -> list[Path]:
    stale = []
    for ex in course.exercises.values():
        if ex.solution_path.is_file():
            stale += [o.path for o in outputs_for(ex) if not o.is_current()]
    return stale


def build_release(course: Course, out: Path, *, force: bool = False, scan: bool = True) -> ReleaseReport:
    """Write the student release into `out` and leak-scan it (report.leaks; empty = safe)."""
    out = Path(out)
    stale = stale_outputs(course)
    if stale:
        names = ", ".join(p.relative_to(course.root).as_posix() for p in stale)
        raise ReleaseError(f"generated files are out of date ({names}); run `grader build` first "
                           "so students get what the solutions say")
    _prepare_out(course, out, force)
    report = ReleaseReport(out)
    _write(out / RELEASE_STAMP, f"torchgrade student release of {course.title} {course.version}\n", report, out)
    _copy(course.root / COURSE_FILE, out / COURSE_FILE, report, out)
    exercises = course.root / "exercises"
    for src in sorted(p for p in exercises.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                      and ".ipynb_checkpoints" not in p.parts):
        _copy(src, out / src.relative_to(course.root), report, out)
    engine = Path(__file__).resolve().parents[1]
    for src in _engine_sources(course):
        _copy(src, out / "grader" / src.relative_to(engine), report, out)
    for o in course_data_outputs(course):
        _write(out / o.path.relative_to(course.root), o.content, report, out)
    _write(out / "pyproject.toml", _pyproject(course), report, out)
    _write(out / "README.md", _readme(course), report, out)
    _write(out / ".gitignore", ".venv/\n__pycache__/\n*.egg-info/\ndata/\n.ipynb_checkpoints/\n", report, out)
    report.files.sort()
    if scan:
        report.needles = len(needles(course))
        found = scan_release(course, out)
        report.leaks = [lk for lk in found if lk.kind != "quoted"]
        report.warnings = [lk for lk in found if lk.kind == "quoted"]
    return report


__all__ = ["build_release", "leak_scan", "scan_release", "needles", "quoted_answers", "Leak", "ReleaseReport", "ReleaseError", "stale_outputs"]
