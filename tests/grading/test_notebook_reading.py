"""A notebook is read without nbformat when it is a well-formed version 4 notebook (importing
nbformat costs seconds, which a rerun with nothing to grade must not pay), and the module made
from it is exactly what reading it with nbformat gives; anything else goes to nbformat."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.grading.sources import SubmissionError, _well_formed_v4, notebook_to_module

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "examples" / "submissions").rglob("*.ipynb")) + sorted((ROOT / "exercises").rglob("*.ipynb"))[:6]


def _cells_by_nbformat(text: str) -> list[tuple[str, str]]:
    nb = nbformat.reads(text, as_version=4)
    return [(c.get("cell_type"), c.get("source", "")) for c in nb.get("cells", [])]


def _cells(nb: dict) -> list[tuple[str, str]]:
    return [(c.get("cell_type"), c.get("source", "")) for c in nb["cells"]]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_real_notebooks_are_read_as_nbformat_reads_them(path):
    text = path.read_text()
    nb = _well_formed_v4(text)
    assert nb is not None, "Jupyter's own format must take the fast path"
    assert _cells(nb) == _cells_by_nbformat(text)


_lines = st.one_of(st.text(max_size=30), st.lists(st.text(max_size=12), max_size=4))
_odd = st.one_of(st.none(), st.integers(), st.lists(st.integers(), max_size=2), st.text(max_size=5))
_output = st.one_of(
    st.fixed_dictionaries({"output_type": st.sampled_from(["stream", "execute_result", "display_data", "error"])},
                          optional={"text": st.one_of(_lines, _odd), "data": st.one_of(st.dictionaries(
                              st.sampled_from(["text/plain", "image/png", "application/json"]), _lines, max_size=2),
                              _odd)}),
    _odd)
_cell = st.one_of(
    st.fixed_dictionaries({"cell_type": st.sampled_from(["code", "markdown", "raw"]), "source": st.one_of(_lines, _odd)},
                          optional={"metadata": st.one_of(st.just({}), _odd),
                                    "outputs": st.one_of(st.lists(_output, max_size=2), _odd),
                                    "attachments": st.one_of(st.dictionaries(st.text(max_size=3), st.one_of(
                                        st.dictionaries(st.just("image/png"), _lines, max_size=1), _odd),
                                        max_size=1), _odd)}),
    _odd)
_notebook = st.fixed_dictionaries(
    {"cells": st.one_of(st.lists(_cell, max_size=4), _odd)},
    optional={"nbformat": st.one_of(st.just(4), st.sampled_from([3, "4", 4.0, True])),
              "nbformat_minor": st.integers(0, 5), "metadata": st.one_of(st.just({}), _odd)})


@settings(max_examples=300, deadline=None)
@given(_notebook)
def test_any_notebook_gives_the_module_or_the_message_nbformat_gives(data):
    text = json.dumps(data)
    fast = _well_formed_v4(text)
    if fast is not None:
        assert _cells(fast) == _cells_by_nbformat(text)
    # and through the whole conversion: the same module, or the same one-line error
    import grader.grading.sources as sources
    outcomes = []
    for reader in (_well_formed_v4, lambda _text: None):
        saved, sources._well_formed_v4 = sources._well_formed_v4, reader
        try:
            outcomes.append(notebook_to_module(text.encode(), "ch1/nb.ipynb"))
        except SubmissionError as exc:
            outcomes.append(str(exc))
        finally:
            sources._well_formed_v4 = saved
    assert outcomes[0] == outcomes[1]
