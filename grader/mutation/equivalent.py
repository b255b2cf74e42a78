"""Mutants recorded as equivalent to the reference: `variants/<exercise>/equivalent.toml`.

    [[equivalent]]
    mutant = "compare: if dropout_prob == 1.0: -> if dropout_prob >= 1.0:"
    reason = "p > 1 raised ValueError two lines above, so == 1 and >= 1 select the same calls"

`mutant` is the key `grader mutate` prints for a survivor (operator, the line before and after;
no line number, so edits elsewhere in the file keep the record). `grader validate` re-runs every
record: one whose mutant is no longer generated, or that a check now fails, is a problem (the
record is stale, or it was not equivalent and a check that fails it is unfair to correct code).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from grader.course import CourseError, Exercise

EQUIVALENT_FILE = "equivalent.toml"


@dataclass(frozen=True)
class EquivalentRecord:
    mutant: str
    reason: str


def records_path(exercise: Exercise) -> Path:
    return exercise.variants_dir / EQUIVALENT_FILE


def load_records(exercise: Exercise) -> list[EquivalentRecord]:
    path = records_path(exercise)
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{path}: {exc}") from None
    unknown = set(data) - {"equivalent"}
    if unknown:
        raise CourseError(f"{path}: unknown table(s) {sorted(unknown)}; write [[equivalent]] entries")
    records = []
    for i, entry in enumerate(data.get("equivalent", []), 1):
        if not isinstance(entry, dict) or set(entry) != {"mutant", "reason"} \
                or not all(isinstance(entry[k], str) and entry[k].strip() for k in ("mutant", "reason")):
            raise CourseError(f"{path}: entry {i} must have exactly a non-empty `mutant` and `reason`")
        records.append(EquivalentRecord(entry["mutant"].strip(), entry["reason"].strip()))
    keys = [r.mutant for r in records]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise CourseError(f"{path}: recorded twice: {duplicates[0]}")
    return records


def toml_entry(key: str) -> str:
    """A record to paste into equivalent.toml, reason left for the author to write."""
    quoted = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'[[equivalent]]\nmutant = "{quoted}"\nreason = ""\n'
