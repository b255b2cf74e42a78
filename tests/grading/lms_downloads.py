"""Downloads as each LMS writes them, for the intake tests: the same names, folders, markers and
metadata the real thing has (the sources each builder follows are in its docstring; the same ones
grader/grading/downloads/*.py cite). Loaded like kit.py (see conftest.load_module)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path


def _zip_bytes(members: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _write_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_zip_bytes(members))
    return path


def extract(zip_path: Path, into: Path) -> Path:
    """The download as an instructor who double-clicks it has it."""
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(into)
    return into


# ---------------------------------------------------------------------------- Canvas

@dataclass
class CanvasStudent:
    name: str                         # Canvas's squashed sortable name: "smithbob"
    user_id: int
    submission_id: int
    files: dict[str, str] = field(default_factory=dict)     # original name -> text
    zips: dict[str, dict[str, str]] = field(default_factory=dict)   # a zip the student uploaded
    late: bool = False


def canvas_zip(path: Path, students: list[CanvasStudent], extra: dict[str, str] | None = None) -> Path:
    """Canvas's "Download Submissions" zip: every file loose at the top, renamed
    `<name>_[LATE_]<user id>_<submission id>_<original name>`, a re-upload as `name-1.py`.

    Follows mikewesthad/canvas-unzipper's README (loose files such as
    `smithbob_340934_208490284_BobsWork.zip` and `..._BobsScreenshot.png`), TimHanneman/
    Canvas_submission_sort (the LATE field; the `-N` of a resubmission before the extension) and
    otter-grader's CanvasParser (the student is the part before the first underscore)."""
    members: dict[str, str | bytes] = {}
    for s in students:
        prefix = f"{s.name}_{'LATE_' if s.late else ''}{s.user_id}_{s.submission_id}_"
        for original, text in s.files.items():
            members[prefix + original] = text
        for original, inner in s.zips.items():
            members[prefix + original] = _zip_bytes(inner)
    members.update(extra or {})
    return _write_zip(path, members)


# ---------------------------------------------------------------------------- Moodle

@dataclass
class MoodleStudent:
    full_name: str                    # "Bob Smith" (Moodle turns "_" in a name into a space)
    participant_id: int               # Moodle's per-assignment id (get_uniqueid_for_user)
    files: dict[str, str] = field(default_factory=dict)     # path as uploaded -> text
    online_text: str = ""


def moodle_zip(path: Path, students: list[MoodleStudent], *, in_folders: bool = True) -> Path:
    """Moodle's "Download all submissions" zip, as mod/assign/classes/downloader.php writes it:
    with "download submissions in folders" (the default since Moodle 3.1) a folder
    `<Full Name>_<id>_assignsubmission_file/` holding each file under its path; without it, loose
    files `<Full Name>_<id>_assignsubmission_file_<file name>`; online text as
    `..._assignsubmission_onlinetext/onlinetext.html` (or `..._onlinetext_onlinetext.html`).
    The zip is named `<course short name>-<assignment name>-<cmid>.zip`."""
    members: dict[str, str | bytes] = {}
    for s in students:
        prefix = f"{s.full_name.replace('_', ' ')}_{s.participant_id}_assignsubmission_"
        for rel, text in s.files.items():
            members[f"{prefix}file/{rel}" if in_folders else f"{prefix}file_{rel.rsplit('/', 1)[-1]}"] = text
        if s.online_text:
            members[f"{prefix}onlinetext/onlinetext.html" if in_folders
                    else f"{prefix}onlinetext_onlinetext.html"] = s.online_text
    return _write_zip(path, members)


# ---------------------------------------------------------------------------- Gradescope

@dataclass
class GradescopeSubmission:
    submission_id: int
    submitters: list[tuple[str, str, str]]      # (name, sid, email)
    created_at: str                             # as Ruby writes it: "2030-01-15 21:30:07.938335000 Z"
    files: dict[str, str] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)    # earlier hand-ins' :created_at


def gradescope_metadata(submissions: list[GradescopeSubmission]) -> str:
    """submission_metadata.yml as Gradescope writes it (Ruby's YAML: symbol keys `:name:`,
    quoted SIDs, `:created_at:` with nanoseconds and `Z`, `:history:` of earlier hand-ins), the
    shape of a real export (sjinang/temp0 submission_metadata.yml)."""
    lines = ["---"]
    for s in submissions:
        lines.append(f"submission_{s.submission_id}:")
        lines.append("  :submitters:")
        for name, sid, email in s.submitters:
            lines += [f"  - :name: {name}", f"    :sid: '{sid}'", f"    :email: {email}"]
        lines += [f"  :created_at: {s.created_at}", "  :score: 0.0", "  :status: processed",
                  "  :results:", "    score: 0.0", "    tests: []",
                  "    output: This assignment does not have an autograder configured.",
                  "    extra_data: ", "    visibility: "]
        if s.history:
            lines.append("  :history:")
            for i, at in enumerate(s.history):
                lines += ["  - :submitters: []", f"    :created_at: {at}", "    :score: 0.0",
                          "    :status: processed", f"    :id: {s.submission_id - 100 - i}"]
        else:
            lines.append("  :history: []")
    return "\n".join(lines) + "\n"


def gradescope_zip(path: Path, submissions: list[GradescopeSubmission], *, assignment_id: int = 4812345,
                   metadata: str | None = None) -> Path:
    """Gradescope's "Export Submissions" zip: `assignment_<id>_export/` holding
    `submission_metadata.yml` beside one `submission_<id>/` folder per hand-in with the uploaded
    files (otter-grader's GradescopeParser reads the same layout)."""
    root = f"assignment_{assignment_id}_export/"
    members: dict[str, str | bytes] = {root + "submission_metadata.yml":
                                       gradescope_metadata(submissions) if metadata is None else metadata}
    for s in submissions:
        for rel, text in s.files.items():
            members[f"{root}submission_{s.submission_id}/{rel}"] = text
    return _write_zip(path, members)


# ---------------------------------------------------------------------------- GitHub Classroom

def classroom_clones(parent: Path, slug: str, repos: dict[str, dict[str, str]]) -> Path:
    """What `gh classroom clone student-repos` leaves: `<slug>-submissions/<slug>-<login>/`, each
    a git clone (github/gh-classroom, cmd/gh-classroom/clone/student-repos/student-repos.go)."""
    top = parent / f"{slug}-submissions"
    for login, files in repos.items():
        repo = top / f"{slug}-{login}"
        (repo / ".git" / "refs").mkdir(parents=True, exist_ok=True)
        (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
        for rel, text in files.items():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(text)
    return top
