"""`grader pack`: the student's hand-in zip, exactly the files the grader reads.

It runs from the student release (no click, no rich: only the standard library and grader.course),
as `grader pack` there and in the course repository, or `python -m grader.pack`. For every
exercise of course.toml it takes `exercises/<chN>/<name>.py`, else the notebook beside it,
puts it at `<chN>/<name>.py` (the layout `grader grade` expects), and adds `manifest.json`:
exercise ids, SHA-256 of each file, the time it was packed. A file over the grader's size limit
is refused here, where the student can still fix it, not at grading time.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import sys
import zipfile
from pathlib import Path

from grader.course import Course, load_course
from grader.errors import GraderError

MANIFEST = "manifest.json"
# what the grader reads of one file (submissions.py takes them from here: the release has no grading package)
MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024


class PackError(GraderError):
    """The hand-in cannot be made (a file too large, nothing to hand in, a bad output path)."""


def pack(course: Course, out: Path, *, stubs_ok: bool = True) -> dict:
    """Write the hand-in zip to `out`; return its manifest."""
    files: dict[str, bytes] = {}
    exercises = []
    for ex in course.exercises.values():
        for path, limit in ((ex.stub_path, MAX_SOURCE_BYTES), (ex.notebook_path, MAX_NOTEBOOK_BYTES)):
            if path.is_file():
                size = path.stat().st_size
                rel = path.relative_to(course.root / "exercises").as_posix()
                if size > limit:
                    raise PackError(f"exercises/{rel} is {size / 2**20:.1f} MiB, over the grader's limit of "
                                    f"{limit // 2**20} MiB: clear the notebook's outputs or remove large data")
                files[rel] = path.read_bytes()
                exercises.append(ex.id)
                break
    if not files:
        raise PackError(f"nothing to hand in: no exercises/<chN>/<name>.py or .ipynb under {course.root}")
    manifest = {"course": course.title, "version": course.version, "exercises": exercises,
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
    return manifest


def main(argv: list[str] | None = None) -> int:
    """`grader pack [--out hand-in.zip]` (also the release's `grader` command)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["pack"]:
        argv = argv[1:]
    parser = argparse.ArgumentParser(prog="grader pack", description=
                                     "Zip your exercises for hand-in, in the layout the grader reads.")
    parser.add_argument("--out", default="hand-in.zip", help="the zip to write (default: hand-in.zip)")
    parser.add_argument("--course", default=None, help="the course folder (default: found from here upwards)")
    args = parser.parse_args(argv)
    try:
        course = load_course(Path(args.course) if args.course else None)
        manifest = pack(course, Path(args.out))
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))
    print(f"wrote {args.out}: {len(manifest['exercises'])} exercise(s) ({', '.join(manifest['exercises'])}); "
          "hand in this file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
