"""Which students a download holds, read the way each collection system writes its download.

One small module per layout, each with `NAME`, `EXPECTED` (what its download looks like, for the
one-line error when nothing fits), `looks_like(top, entries, options)` and `find(top, entries,
options) -> Listing`:

* nbgrader.py:   nbgrader's ``submitted/<student>/<assignment>/`` folders;
* gradescope.py: Gradescope's "Export Submissions" (``submission_metadata.yml`` beside
  ``submission_<id>/`` folders);
* canvas.py:     Canvas's "Download Submissions" (loose files ``<name>_[LATE_]<user id>_<submission id>_<file>``);
* moodle.py:     Moodle's "Download all submissions" (``<Full Name>_<id>_assignsubmission_file...``);
* classroom.py:  GitHub Classroom's clones (``<assignment>-<login>/``);
* folders.py:    a folder (or zip) of one folder or .zip per student, e.g. ``grader pack`` zips.

Layouts read names (and Gradescope's metadata, which lies outside every student's files); they
never read a student's files: that happens in grader.grading.intake, inside each student's error
boundary. What a layout says about a student (who, which LMS id, the LMS's own time or late
marker) goes into the `HandIn` it makes; the roster and the times CSV come after.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Callable

from grader.errors import GraderError
from grader.grading.submissions import IGNORED_NAMES, shown_name
from grader.grading.tree import Node
from grader.results import HandIn


class DownloadError(GraderError):
    """A download in no layout the grader knows, or not in the one `--from` names: one line saying
    what was expected and what was found."""


@dataclass(frozen=True)
class Keys:
    """What a hand-in is known by, for the roster and the times CSV, most certain first."""

    lms_ids: tuple[str, ...] = ()     # the LMS's own id: Canvas's user id, Moodle's participant id
    ids: tuple[str, ...] = ()         # an id the school may also use: Gradescope's SID, a folder name
    emails: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


@dataclass
class Found:
    """One student's hand-in as the download holds it, before any of its files is read."""

    student: str                      # the id it is keyed by before the roster (the LMS's own where there is one)
    raw_name: str                     # the folder, zip or file-name prefix it came from, as written
    kind: str                         # folder | zip | files | nbgrader
    path: Path
    parts: list[tuple[str, Node]]     # (where in the student's tree, a folder or file of the download)
    handin: HandIn
    keys: Keys = field(default_factory=Keys)
    expand_zips: bool = False         # the LMS kept the student's zip as uploaded: read inside it
    problem: str = ""


@dataclass
class Listing:
    found: list[Found] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    nbgrader_assignment: str | None = None
    mtime: bool = False               # `--times mtime`: a zip's own mtime is its hand-in time
    exclude: frozenset[Path] = frozenset()
    chapters: frozenset[str] = frozenset()   # the course's chapter folders: what one student's work holds


def entries_of(top: Node, options: Options) -> list[Node]:
    """The entries of a download's top that can be hand-ins (no dot files, OS litter, the output folder)."""
    out = []
    for entry in top.children():
        if entry.name in IGNORED_NAMES or entry.name.startswith("."):
            continue
        if options.exclude and entry.path.resolve() in options.exclude:
            continue
        out.append(entry)
    return out


def sample(entries: list[Node], n: int = 6) -> str:
    names = [shown_name(e.name) + ("/" if e.is_dir() else "") for e in entries]
    return (", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")) or "nothing"


def group_by_name(entries: list[Node], pattern: re.Pattern, field_name: str,
                  accept: Callable[[re.Match, Node], bool] = lambda m, e: True
                  ) -> tuple[dict[str, list[tuple[re.Match, Node]]], list[str]]:
    """Entries named by an LMS's `pattern`, grouped by one of its fields (the student's id), and
    the names of the others (listed in a warning, never graded as someone)."""
    groups: dict[str, list[tuple[re.Match, Node]]] = {}
    ignored = []
    for entry in entries:
        m = pattern.match(unicodedata.normalize("NFC", entry.name))
        if m is None or not accept(m, entry):
            ignored.append(shown_name(entry.name))
        else:
            groups.setdefault(m[field_name], []).append((m, entry))
    return groups, ignored


def left_out(what: str, names: list[str]) -> list[str]:
    """The warning for entries a layout does not know (none when there are none)."""
    if not names:
        return []
    return [f"left out of {what}: {', '.join(names[:5])}" + (f" and {len(names) - 5} more" if len(names) > 5 else "")]


def _layouts() -> dict[str, ModuleType]:
    from grader.grading.downloads import canvas, classroom, folders, gradescope, moodle, nbgrader
    # the most particular first: Moodle's names would also fit a loose reading of Canvas's
    return {m.NAME: m for m in (nbgrader, gradescope, moodle, canvas, classroom, folders)}


LAYOUT_NAMES = ("canvas", "moodle", "gradescope", "classroom", "folders", "nbgrader")


def find_handins(top: Node, layout: str, options: Options) -> tuple[str, Node, Listing]:
    """(the layout, the folder its hand-ins are in, what it holds) for the download at `top`;
    `layout` is one of LAYOUT_NAMES or "auto". A download wrapped in one folder (a zip of the
    extracted folder, Gradescope's `assignment_<id>_export/`) is looked into."""
    layouts = _layouts()
    if layout != "auto" and layout not in layouts:
        raise DownloadError(f"--from {layout}: unknown layout (known: {', '.join(LAYOUT_NAMES)})")
    for here in _tops(top, options):
        entries = entries_of(here, options)
        chosen = [layouts[layout]] if layout != "auto" else \
            [m for m in layouts.values() if m.looks_like(here, entries, options)][:1]
        if chosen and (layout == "auto" or chosen[0].looks_like(here, entries, options)):
            listing = chosen[0].find(here, entries, options)
            if listing.found:
                return chosen[0].NAME, here, listing
    entries = entries_of(top, options)
    if layout != "auto":
        raise DownloadError(f"--from {layout}: {top.where} does not look like {layouts[layout].EXPECTED}; "
                            f"found: {sample(entries)}")
    expected = "; ".join(m.EXPECTED for m in layouts.values())
    raise DownloadError(f"{top.where}: no hand-ins in a layout the grader knows (expected one of: {expected}); "
                        f"found: {sample(entries)}")


def _tops(top: Node, options: Options) -> list[Node]:
    """Where to look for hand-ins: the one folder the download's top wraps, when that is all it
    holds several entries and none of a student's work (chapter folders), then the top itself."""
    entries = entries_of(top, options)
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_link():
        inner = {e.name for e in entries_of(entries[0], options)}
        if len(inner) > 1 and not inner & (options.chapters | {"exercises"}):
            return [entries[0], top]
    return [top]
