"""benchmarks/report_build.py makes a class and its report (no timing is asserted here: the
target lives in the benchmark's output)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module():
    spec = importlib.util.spec_from_file_location("report_build", ROOT / "benchmarks" / "report_build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_a_small_generated_class_gets_its_report(tmp_path: Path) -> None:
    bench = _module()
    m = bench.measure(12, tmp_path)
    assert m["students"] == 12 and m["seconds"] >= m["similarity"] + m["figures"] > 0
    html = (tmp_path / "report.html").read_text()
    assert "student007" in html and "handed in nothing" in html          # the one who handed in nothing
    assert m["pairs"] > 0                                                 # student001 copies student000
    assert len(list((tmp_path / "feedback").glob("*.html"))) == 12
