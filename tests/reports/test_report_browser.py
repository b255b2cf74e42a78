"""The class report in a real browser: headless Chromium opens report.html, every figure decodes,
the tables are there, and a screenshot shows the page (not a blank one)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from grader.course import load_course
from grader.grading.final import load_class
from grader.reports.html import write_class_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def run_headless(exe: str, page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
                           "--virtual-time-budget=5000", *args, page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(browser() is None, reason="no Chromium on this machine (Debian: apt-get install chromium; "
                                               ".ci/run installs it)")
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
    assert int(total.group(1)) == 5 and loaded.group(1) == total.group(1), "a figure did not decode"
    for table in ("run-facts", "exercise-table", "item-table", "similarity-table", "student-table"):
        assert f'id="{table}"' in dom.stdout

    shot = tmp_path / "report.png"
    done = run_headless(exe, page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    assert image.getpixel((5, 5)) == (0x26, 0x32, 0x38)              # the header's colour: the page drew
    assert len(image.resize((64, 100)).getcolors(64 * 100)) > 50      # text and figures, not a blank page
