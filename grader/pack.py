"""`grader pack`: the student's hand-in zip, exactly the files the grader reads, checked before
it is handed in.

It runs from the student release (no click, no rich: only the standard library, grader.course
and grader.grading.sources, which the release ships), as `grader pack` there and in the course
repository, or `python -m grader.pack`. For every exercise of course.toml it takes the file the
student actually worked in: `exercises/<chN>/<name>.py`, or the notebook beside it when the .py
is still the untouched stub and the notebook is not, or when both were worked in and the
notebook is the newer; and it says which it took, and which exercises are still untouched stubs.
The file goes in at `<chN>/<name>.py` (or `.ipynb`), the layout `grader grade` expects, with
`manifest.json` (exercise ids, what was taken, SHA-256 of each file, when it was packed). A file
over the grader's size limit is refused here, where the student can still fix it.

Before it finishes it runs the visible checks on what it zipped, as the grader will read it (a
notebook turned into its module the grader's way), in a separate process, and prints the points,
as otter-grader's export cell does: a hand-in that does not import or scores nothing is seen
before it is handed in, not after.
"""

from __future__ import annotations

import argparse
import ast
import datetime as _dt
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.course import Course, Exercise, load_course
from grader.errors import GraderError

MANIFEST = "manifest.json"
# what the grader reads of one file (submissions.py takes them from here: the release has no grading package)
MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024
CHECK_TIMEOUT = 900               # seconds for all the visible checks of one hand-in
_POINTS = re.compile(r"^(?P<exercise>\S+): (?P<earned>[\d.]+)/(?P<max>[\d.]+) (visible )?points$")


class PackError(GraderError):
    """The hand-in cannot be made (a file too large, nothing to hand in, a bad output path)."""


@dataclass
class Taken:
    """The file taken for one exercise, and why."""

    exercise: str
    path: Path
    rel: str                  # in the zip: chN/name.py or chN/name.ipynb
    why: str = ""             # "" when there was only the one file
    untouched: bool = False   # every function it asks for still raises NotImplementedError


# ---------------------------------------------------------------------------- which file

def untouched(code: str, symbols: tuple[str, ...]) -> bool:
    """The code still is the stub: every function (or class) the exercise asks for is there and
    still raises NotImplementedError in its own body, the line the stub put where the answer goes."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    defined = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    if not symbols or any(s not in defined for s in symbols):
        return False
    return all(_still_raises(defined[s]) for s in symbols)


def _still_raises(node: ast.AST) -> bool:
    if isinstance(node, ast.ClassDef):
        methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        return any(_still_raises(m) for m in methods)
    for stmt in getattr(node, "body", []):
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            target = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if isinstance(target, ast.Name) and target.id == "NotImplementedError":
                return True
    return False


def notebook_code(data: bytes, rel: str) -> str | None:
    """The module the grader makes of a notebook (its definitions), None when it makes none."""
    from grader.grading.sources import SubmissionError, notebook_to_module
    try:
        return notebook_to_module(data, rel)[0]
    except SubmissionError:
        return None


def choose(course: Course, ex: Exercise) -> Taken | None:
    """The file of `ex` the student worked in (see the module docstring); None when there is none."""
    py, nb = ex.stub_path, ex.notebook_path
    exercises = course.root / "exercises"
    have = [p for p in (py, nb) if p.is_file()]
    if not have:
        return None
    for path in have:
        limit = MAX_SOURCE_BYTES if path == py else MAX_NOTEBOOK_BYTES
        size = path.stat().st_size
        if size > limit:
            rel = path.relative_to(exercises).as_posix()
            raise PackError(f"exercises/{rel} is {size / 2**20:.1f} MiB, over the grader's limit of "
                            f"{limit // 2**20} MiB: clear the notebook's outputs or remove large data")
    stub = {p: _is_stub(p, p == nb, ex) for p in have}
    if len(have) == 1:
        path, why = have[0], ""
    elif stub[py] and not stub[nb]:
        path, why = nb, f"the notebook: exercises/{py.relative_to(exercises).as_posix()} is still the stub"
    elif stub[nb] and not stub[py]:
        path, why = py, f"the .py: exercises/{nb.relative_to(exercises).as_posix()} is still the stub"
    elif not stub[py]:
        path = nb if nb.stat().st_mtime > py.stat().st_mtime else py
        why = f"both were worked in; took the newer, {path.name}"
    else:
        path, why = py, ""
    return Taken(ex.id, path, path.relative_to(exercises).as_posix(), why, stub[path])


def _is_stub(path: Path, is_notebook: bool, ex: Exercise) -> bool:
    data = path.read_bytes()
    code = notebook_code(data, path.name) if is_notebook else data.decode("utf-8", "replace")
    return code is not None and untouched(code, ex.symbols)


# ---------------------------------------------------------------------------- the zip

def pack(course: Course, out: Path, *, stubs_ok: bool = True) -> dict:
    """Write the hand-in zip to `out`; return its manifest (with `taken`: what went in and why)."""
    taken = [t for t in (choose(course, ex) for ex in course.exercises.values()) if t is not None]
    if not taken:
        raise PackError(f"nothing to hand in: no exercises/<chN>/<name>.py or .ipynb under {course.root}")
    files = {t.rel: t.path.read_bytes() for t in taken}
    manifest = {"course": course.title, "version": course.version, "exercises": [t.exercise for t in taken],
                "taken": {t.exercise: t.rel for t in taken},
                "untouched": [t.exercise for t in taken if t.untouched],
                "files": {rel: hashlib.sha256(data).hexdigest() for rel, data in sorted(files.items())},
                "packed_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    out = Path(out)
    if out.resolve().is_relative_to((course.root / "exercises").resolve()):
        raise PackError(f"{out}: write the hand-in outside exercises/")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, data in sorted(files.items()):
            zf.writestr(rel, data)
        zf.writestr(MANIFEST, json.dumps(manifest, indent=1) + "\n")
    tmp.replace(out)
    manifest["why"] = {t.exercise: t.why for t in taken if t.why}
    return manifest


# ---------------------------------------------------------------------------- the visible checks

def check_zip(course: Course, zip_path: Path, exercises: list[str]) -> tuple[dict[str, tuple[float, float]], str]:
    """Points of the visible checks of `exercises` run on what `zip_path` holds, as the grader
    reads it: ({exercise: (earned, max)}, "") or ({}, why they could not run)."""
    with tempfile.TemporaryDirectory(prefix="grader-pack-") as tmp:
        work = Path(tmp)
        tests = []
        with zipfile.ZipFile(zip_path) as zf:
            for ex_id in exercises:
                ex = course.exercises[ex_id]
                for rel in (ex.file, ex.file[:-3] + ".ipynb"):
                    if rel in zf.namelist():
                        data = zf.read(rel)
                        code = notebook_code(data, rel) if rel.endswith(".ipynb") else data.decode("utf-8", "replace")
                        (work / ex.file).parent.mkdir(parents=True, exist_ok=True)
                        (work / ex.file).write_text(code or "", encoding="utf-8")
                        if ex.visible_tests_path.is_file():
                            tests.append(str(ex.visible_tests_path))
                        break
        if not tests:
            return {}, "no visible checks to run"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--submission", str(work),
               "--device", "cpu", *tests]
        try:
            proc = subprocess.run(cmd, cwd=course.root, capture_output=True, text=True, timeout=CHECK_TIMEOUT)
        except subprocess.TimeoutExpired:
            return {}, f"the visible checks took more than {CHECK_TIMEOUT} s"
        except OSError as exc:
            return {}, f"pytest could not start ({exc.strerror})"
    points = {}
    for line in proc.stdout.splitlines():
        m = _POINTS.match(line.strip())
        if m:
            points[m["exercise"]] = (float(m["earned"]), float(m["max"]))
    if not points:
        last = (proc.stdout.strip() or proc.stderr.strip()).splitlines()[-1:] or ["no output"]
        return {}, f"the visible checks did not run ({last[0][:200]})"
    return points, ""


def main(argv: list[str] | None = None) -> int:
    """`grader pack [--out hand-in.zip] [--no-check]` (also the release's `grader` command)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["pack"]:
        argv = argv[1:]
    parser = argparse.ArgumentParser(prog="grader pack", description=
                                     "Zip your exercises for hand-in, in the layout the grader reads, "
                                     "and run the visible checks on what was zipped.")
    parser.add_argument("--out", default="hand-in.zip", help="the zip to write (default: hand-in.zip)")
    parser.add_argument("--course", default=None, help="the course folder (default: found from here upwards)")
    parser.add_argument("--no-check", action="store_true", help="do not run the visible checks on the zip")
    args = parser.parse_args(argv)
    try:
        course = load_course(Path(args.course) if args.course else None)
        manifest = pack(course, Path(args.out))
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))
    print(f"wrote {args.out}: {len(manifest['exercises'])} exercise(s)")
    for ex_id in manifest["exercises"]:
        why = manifest["why"].get(ex_id)
        print(f"  {ex_id}: exercises/{manifest['taken'][ex_id]}" + (f" ({why})" if why else ""))
    if manifest["untouched"]:
        print(f"still untouched stubs (they score 0): {', '.join(manifest['untouched'])}")
    worked = [e for e in manifest["exercises"] if e not in manifest["untouched"]]
    if worked and not args.no_check:
        print("running the visible checks on what was zipped ...", flush=True)
        points, problem = check_zip(course, Path(args.out), worked)
        if problem:
            print(f"  {problem}; the zip is written, but check it before you hand it in")
        for ex_id in worked:
            if ex_id in points:
                earned, most = points[ex_id]
                print(f"  {ex_id}: {earned:g}/{most:g} visible points")
    print(f"hand in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
