"""The class report in a real browser (headless Chromium, Debian's package; .ci/run installs it):
every figure decodes, the tables are there, a screenshot shows the page; the demo class's first
screen at 1400x900 names everyone whose grade needs a person; nothing scrolls sideways at 1400
px, for the demo class and for 300 students over the whole course."""

from __future__ import annotations

import html as html_lib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.course import load_course
from grader.grading.final import load_class
from grader.reports.html import write_class_report

ROOT = Path(__file__).resolve().parents[2]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WIDTH, HEIGHT = 1400, 900


def browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


needs_browser = pytest.mark.skipif(browser() is None, reason="no Chromium on this machine (Debian: apt-get install "
                                                             "chromium; .ci/run installs it)")


def run_headless(exe: str, page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
                           "--virtual-time-budget=5000", *args, page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=180)


# Added to a copy of the page (the report itself carries nothing for tests): once laid out, where
# each "needs a person" row ends, how wide the document is, and which tables stick out of it.
_MEASURE = """<script>
window.addEventListener("load", function () {
  var doc = document.documentElement, found = {width: doc.scrollWidth, view: doc.clientWidth, rows: [], wide: []};
  document.querySelectorAll("#attention-table tr.attention").forEach(function (tr) {
    found.rows.push({person: tr.dataset.person, kinds: tr.dataset.kinds, bottom: tr.getBoundingClientRect().bottom});
  });
  document.querySelectorAll("table").forEach(function (t) {
    var box = t.getBoundingClientRect();
    if (box.width && box.right > doc.clientWidth + 1) found.wide.push(t.id || t.className);
  });
  var pre = document.createElement("pre"); pre.id = "measured"; pre.textContent = JSON.stringify(found);
  document.body.appendChild(pre);
});
</script>"""


def measure(page: Path, profile: Path) -> dict:
    """The page laid out in a 1400x900 window, as _MEASURE reports it."""
    copy = page.with_name("measured.html")
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    done = run_headless(browser(), copy, profile, "--dump-dom", f"--window-size={WIDTH},{HEIGHT}")
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout, re.S)
    assert found, "the measuring script did not run"
    return json.loads(html_lib.unescape(found.group(1)))


@needs_browser
def test_report_renders_in_headless_chromium(tiny_course: Path, tmp_path: Path, rk) -> None:
    from PIL import Image

    out = rk.write_gradebook(tmp_path / "out", rk.rows_with_a_copy())
    write_class_report(load_class(out, load_course(tiny_course)))
    page = out / "report.html"
    exe = browser()

    dom = run_headless(exe, page, tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    loaded = re.search(r'data-figures-loaded="(\d+)"', dom.stdout)
    total = re.search(r'data-figures-total="(\d+)"', dom.stdout)
    assert loaded and total, "the page's load handler did not run"
    assert int(total.group(1)) == 4 and loaded.group(1) == total.group(1), "a figure did not decode"
    for table in ("attention-table", "student-table", "run-facts", "exercise-table", "failure-table", "similarity-table"):
        assert f'id="{table}"' in dom.stdout

    shot = tmp_path / "report.png"
    done = run_headless(exe, page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    assert image.getpixel((5, 5)) == (0x26, 0x32, 0x38)              # the header's colour: the page drew
    assert len(image.resize((64, 100)).getcolors(64 * 100)) > 50      # text and figures, not a blank page


def grade_demo_class(out: Path) -> Path:
    """README's demo: `grader grade examples/submissions --assignment hw1` (with the class's hand-in
    times where the demo keeps them beside the submissions, as an LMS export gives them)."""
    args = [sys.executable, "-m", "grader.cli", "grade", str(ROOT / "examples" / "submissions"), "--out", str(out),
            "--assignment", "hw1"]
    if (ROOT / "examples" / "times.csv").is_file():
        args += ["--times", str(ROOT / "examples" / "times.csv")]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out / "hw1"


@pytest.fixture(scope="module")
def demo_hw1(tmp_path_factory) -> Path:
    if browser() is None:
        pytest.skip("no Chromium on this machine")
    return grade_demo_class(tmp_path_factory.mktemp("demo"))


@needs_browser
def test_the_first_screen_names_who_needs_a_person(demo_hw1: Path, tmp_path: Path) -> None:
    found = measure(demo_hw1 / "report.html", tmp_path / "profile")
    rows = {r["person"]: r for r in found["rows"]}
    # the adversarial, syntax-error, timeout and late students of the demo class, each with why
    for student, kind in (("mallory_adversarial", "tampering"), ("frank_syntax_error", "error"),
                          ("grace_infinite_loop", "timeout"), ("henry_late", "late"), ("jose_very_late", "late")):
        assert student in rows, (student, sorted(rows))
        assert kind in rows[student]["kinds"].split(), rows[student]
        assert rows[student]["bottom"] <= HEIGHT, f"{student} is below the first screen: {rows[student]}"
    assert "alice_perfect" not in rows and "iris_extension" not in rows       # on time, every point: nobody's concern
    assert found["width"] <= WIDTH and not found["wide"], found


@needs_browser
def test_three_hundred_students_fit_the_page(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("report_build", ROOT / "benchmarks" / "report_build.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    course = bench.write_class(300, tmp_path / "out")     # the whole course, 33 exercises
    result = write_class_report(load_class(tmp_path / "out", course))
    found = measure(result.path, tmp_path / "profile")
    assert found["width"] <= WIDTH and not found["wide"], found
    assert found["rows"] and found["rows"][0]["bottom"] <= HEIGHT and len(found["rows"]) == result.people
