"""Gradescope's "Export Submissions": one folder ``submission_<id>/`` per hand-in holding the
uploaded files, and beside them (outside every student's files) ``submission_metadata.yml``,
which Gradescope writes:

    submission_216975964:
      :submitters:
      - :name: Alice Sun Fontaine
        :sid: '06758767'
        :email: afontain@stanford.edu
      :created_at: 2023-12-02 02:52:07.938335000 Z
      :score: 0.0
      :status: processed
      :history: []

(the shape of a real export, sjinang/temp0 submission_metadata.yml; otter-grader's
GradescopeParser reads the same keys: folder name -> `:submitters` -> `:name`). A group hand-in
lists several submitters: each is a student with the same files. `:created_at` is the hand-in
time; the zip may come wrapped in ``assignment_<id>_export/``.

The file is Ruby's YAML: it is read with a safe loader that keeps dates as text (read by
grader.grading.times, so a date out of range is that student's problem, not a crash) and
reads tags it does not know (`!ruby/object:...`) as plain values.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import yaml

from grader.grading.downloads import Found, Keys, Listing, Options
from grader.grading.submissions import sanitize_id, shown_name
from grader.grading.times import parse_time
from grader.grading.tree import Node
from grader.results import HandIn

NAME = "gradescope"
METADATA = "submission_metadata.yml"
EXPECTED = f"Gradescope's submission export ({METADATA} beside submission_<id>/ folders)"
MAX_METADATA_BYTES = 64 * 1024 * 1024
SOURCE = f"Gradescope's {METADATA} (:created_at)"


def looks_like(top: Node, entries: list[Node], options: Options) -> bool:
    return any(e.name == METADATA and not e.is_dir() for e in entries)


class _Loader(yaml.SafeLoader):
    pass


# dates stay text (see the module docstring); Ruby's own tags become plain values
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _plain(loader: _Loader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_Loader.add_multi_constructor("!", _plain)


def read_metadata(node: Node) -> dict[str, Any]:
    data = node.read(MAX_METADATA_BYTES)
    if len(data) > MAX_METADATA_BYTES:
        raise ValueError(f"larger than {MAX_METADATA_BYTES // 2**20} MiB")
    loaded = yaml.load(data.decode("utf-8", errors="replace"), Loader=_Loader)   # _Loader is a SafeLoader
    if not isinstance(loaded, dict):
        raise ValueError("not a mapping of submission folders")
    return {str(k): v for k, v in loaded.items()}


def find(top: Node, entries: list[Node], options: Options) -> Listing:
    listing = Listing()
    meta_node = next(e for e in entries if e.name == METADATA)
    unreadable = ""
    try:
        metadata = read_metadata(meta_node)
    except Exception as exc:  # noqa: BLE001 - a broken export still grades; every hand-in is told why
        metadata = {}
        unreadable = f"{METADATA} could not be read ({type(exc).__name__}: {str(exc)[:200]})"
        listing.warnings.append(unreadable + ": no names and no times for anyone")
    folders = [e for e in entries if e.is_dir()]
    for entry in folders:
        try:
            listing.found += _hand_ins(entry, metadata.get(entry.name), unreadable)
        except Exception as exc:  # noqa: BLE001 - one entry's junk is that hand-in's problem
            handin = HandIn(lms="gradescope", raw_name=entry.name, source="unknown",
                            problems=[f"its entry in {METADATA} could not be read ({type(exc).__name__})"])
            listing.found.append(_found(sanitize_id(entry.name), entry, handin, Keys()))
    missing = sorted(set(metadata) - {e.name for e in folders})
    if missing:
        listing.warnings.append(f"{METADATA} lists {len(missing)} submission(s) the export has no folder for: "
                                + ", ".join(shown_name(m) for m in missing[:5]))
    return listing


def _hand_ins(entry: Node, record: Any, unreadable: str) -> list[Found]:
    at, source, problems = "", "unknown", []
    if not isinstance(record, dict):
        problems.append(unreadable or f"{shown_name(entry.name)} is not in {METADATA}: who handed it in and when "
                                      "is unknown")
        record = {}
    elif ":created_at" in record:
        try:
            at, _ = parse_time(record[":created_at"])
            source = SOURCE
        except ValueError as exc:
            problems.append(f"{METADATA}: {exc}")
    else:
        problems.append(f"{METADATA} gives no :created_at for {shown_name(entry.name)}")
    submitters = record.get(":submitters")
    people = [s for s in submitters if isinstance(s, dict)] if isinstance(submitters, list) else []
    if not people:
        if not problems:
            problems.append(f"{METADATA} lists no submitter for {shown_name(entry.name)}")
        handin = HandIn(lms="gradescope", raw_name=entry.name, at=at, source=source, problems=problems)
        return [_found(sanitize_id(entry.name), entry, handin, Keys())]
    found = []
    for person in people:
        sid, email, name = (_text(person.get(key)) for key in (":sid", ":email", ":name"))
        handin = HandIn(lms="gradescope", lms_id=sid, name=name, email=email, raw_name=entry.name,
                        at=at, source=source, problems=list(problems))
        keys = Keys(ids=(sid,) if sid else (), emails=(email,) if email else (), names=(name,) if name else ())
        found.append(_found(_safe_id(sid or email or entry.name), entry, handin, keys))
    return found


def _found(student: str, entry: Node, handin: HandIn, keys: Keys) -> Found:
    return Found(student, entry.name, "folder", entry.path, [("", entry)], handin, keys, expand_zips=True)


def _text(value: Any) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return unicodedata.normalize("NFC", str(value)).strip()[:200]
    return ""


def _safe_id(text: str) -> str:
    return text if re.fullmatch(r"[\w.@+-]{1,100}", text) else sanitize_id(text)
