"""The adversarial suite: a class of malicious and broken ch3.softmax submissions, graded in
one real `grader grade` run next to honest students. Each attack must get exactly its score
(zero for what it attacks), and the honest students around it must be graded correctly."""

from __future__ import annotations

import csv
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import importlib.util

import pytest


def _load_attacks():
    spec = importlib.util.spec_from_file_location("adversarial_attacks", Path(__file__).with_name("attacks.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_ATTACKS = _load_attacks()
ATTACKS, WRONG, FINDINGS = _ATTACKS.ATTACKS, _ATTACKS.WRONG, _ATTACKS.FINDINGS

ROOT = Path(__file__).resolve().parents[2]
FULL = 10.0  # course.toml: exercises.ch3.softmax.points


class Listener:
    """A TCP server on loopback that records whether anybody connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self.stop = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("adversarial")
    subs, out, marker = base / "submissions", base / "results", base / "marker"
    listener = Listener()
    perfect = (ROOT / "solutions/ch3/softmax.py").read_text()
    values = placeholders(out, subs, marker, listener.port)
    students = dict(ATTACKS)
    students["control_perfect"] = {"files": {"ch3/softmax.py": perfect}, "score": FULL}
    students["zz_control_perfect"] = {"files": {"exercises/ch3/softmax.py": perfect}, "score": FULL}
    students["control_wrong"] = {"files": {"ch3/softmax.py": WRONG}, "score": 0.0}
    for name, spec in students.items():
        for rel, content in spec["files"].items():
            path = subs / name / rel
            if rel.count("/") > 100:   # a folder chain longer than PATH_MAX: made level by level
                _make_deep(subs / name, rel)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                for key, value in values.items():
                    content = content.replace(key, value)
                path.write_text(content)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(subs), "--out", str(out),
                           "--only", "ch3.softmax", "--jobs", "2", "--timeout", "5"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - start
    time.sleep(max(0.0, 5.0 - seconds))  # give a leftover background process time to show itself
    listener.close()
    yield {"proc": proc, "out": out, "marker": marker, "listener": listener, "students": students,
           "seconds": seconds, "values": values}
    # pytest's own clean-up (shutil.rmtree) recurses and would choke on the deep chain
    subprocess.run(["rm", "-rf", "--", str(subs)], check=False)


def placeholders(out: Path, subs: Path, marker: Path, port: int) -> dict[str, str]:
    """What an attack's {PLACEHOLDERS} stand for: the paths and port it would have guessed."""
    return {"{OUT}": str(out), "{ROOT}": str(ROOT), "{SUBMISSIONS}": str(subs), "{MARKER}": str(marker),
            "{PORT}": str(port), "{PERFECT}": (ROOT / "solutions/ch3/softmax.py").read_text()}


def fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _make_deep(top: Path, rel: str) -> None:
    *dirs, name = rel.split("/")
    top.mkdir(parents=True, exist_ok=True)
    fd = os.open(top, os.O_RDONLY)
    try:
        for d in dirs:
            os.mkdir(d, dir_fd=fd)
            nxt = os.open(d, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        out = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, b"deep\n")
        os.close(out)
    finally:
        os.close(fd)


def scores(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="") as f:
        # an exercise that could not be graded has an empty cell (its status column says why): 0 here
        return {row["student"]: {k: v or "0" for k, v in row.items()} for row in csv.DictReader(f)}


def test_run_finishes_and_grades_everybody(graded):
    proc = graded["proc"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = scores(graded["out"])
    assert set(rows) == set(graded["students"])
    assert all(float(r["max"]) == FULL for r in rows.values())


def expected_score(name: str) -> float | None:
    """What grades.csv must count: an exercise the judge's review has findings for is held for
    review with 0 (grader/grading/final.py); the others get exactly their attack's score."""
    if FINDINGS[name]:
        return 0.0
    return ATTACKS[name]["score"]


@pytest.mark.parametrize("name", sorted(n for n in ATTACKS if expected_score(n) is not None))
def test_attack_gets_exactly_its_score(graded, name):
    row = scores(graded["out"])[name]
    expected = expected_score(name)
    assert float(row["ch3.softmax"] or 0) == expected, (name, ATTACKS[name]["why"], row)
    if FINDINGS[name] and row["ch3.softmax status"] != "tampering":
        # held for a person, visibly, not silently zeroed
        assert row["ch3.softmax status"] == "held for review", (name, row)
    if ATTACKS[name]["score"] is not None:
        # and under the hold, the run-time defences still gave exactly the attack's score: what an
        # instructor's "accept" would give back
        entry = _grades(graded["out"])[name]["exercises"].get("ch3.softmax", {})
        assert float(entry.get("score", 0.0)) == ATTACKS[name]["score"], (name, ATTACKS[name]["why"], entry)


def test_honest_students_around_the_attacks_are_graded_correctly(graded):
    rows = scores(graded["out"])
    assert float(rows["control_perfect"]["ch3.softmax"]) == FULL
    assert float(rows["zz_control_perfect"]["ch3.softmax"]) == FULL
    assert float(rows["control_wrong"]["ch3.softmax"]) == 0.0


def test_forbidden_alias_loses_the_functions_it_cheats_on(graded):
    report = json.loads((graded["out"] / "grades.json").read_text())
    text = json.dumps(report)
    assert "forbidden" in text
    raw = _grades(graded["out"])["forbidden_alias"]["exercises"]["ch3.softmax"]["score"]
    assert 0.0 < float(raw) < FULL  # its hand-written cross_entropy still counts (before any hold)


def test_outputs_belong_to_the_grader(graded):
    out = graded["out"]
    rows = scores(out)
    assert "write_output_folder" in rows and len(rows) == len(graded["students"])
    assert float(rows["write_output_folder"]["ch3.softmax"]) == 0.0
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        assert tables
    feedback = (out / "feedback" / "write_output_folder.md").read_text()
    assert "70,70" not in feedback


def test_nothing_escapes_the_worker(graded):
    marker = graded["marker"]
    assert not Path(f"{marker}.pth").exists(), ".pth file in a submission was executed"
    assert not Path(f"{marker}.bg").exists(), "a background process outlived the grading"
    assert graded["listener"].connections == 0, "a worker opened a TCP connection"


def test_feedback_never_shows_hidden_inputs_or_source(graded):
    hidden = (ROOT / "solutions/ch3/test_softmax_hidden.py").read_text().splitlines()
    secret_lines = [ln.strip() for ln in hidden if len(ln.strip()) > 30 and not ln.strip().startswith(("#", '"""'))]
    for path in (graded["out"] / "feedback").glob("*.md"):
        text = path.read_text()
        leaked = [ln for ln in secret_lines if ln in text]
        assert not leaked, (path.name, leaked[:3])


# ---------------------------------------------------------------------------- issue 8, classes 3-7

def _grades(out: Path) -> dict:
    return {r["student"]: r for r in json.loads((out / "grades.json").read_text())["students"]}


def test_hidden_checks_show_no_student_text_in_any_channel(graded):
    from grader.export.gradescope import results_json
    from grader.student_view import student_message
    from grader.grading.gradebook import Gradebook
    book = Gradebook(graded["out"] / "gradebook.sqlite")
    try:
        row = book.rows()["hidden_message_exfiltration"]
    finally:
        book.close()
    checks = row.exercises["ch3.softmax"].checks
    hidden = [c for c in checks if not c.visible]
    assert hidden and all(c.status == "error" for c in hidden)
    for c in hidden:
        text = student_message(c)
        assert "LEAK" not in text and "0123456789" not in text and "3 1 4 1" not in text, text
    for test in results_json(row)["tests"]:
        if "hidden" in test["name"]:
            assert "LEAK" not in test["output"] and "0123456789" not in test["output"], test
    in_hidden = False
    for line in (graded["out"] / "feedback" / "hidden_message_exfiltration.md").read_text().splitlines():
        if line.startswith("- "):
            in_hidden = "(hidden check)" in line
        assert not (in_hidden and ("LEAK" in line or "0123456789" in line)), line


@pytest.mark.parametrize("name", ["hidden_input_in_line_and_type", "hidden_message_exfiltration"])
def test_a_hidden_check_reads_back_its_title_and_status_only(graded, name):
    """Whatever a submission puts in its exception (class, built-in, line, message) or its result
    (shape), a hidden check's feedback line is exactly its title and status, in feedback.md and
    results.json alike."""
    from grader.export.gradescope import results_json
    from grader.grading.gradebook import Gradebook
    from grader.results import status_word
    book = Gradebook(graded["out"] / "gradebook.sqlite")
    try:
        row = book.rows()[name]
    finally:
        book.close()
    hidden = [c for c in row.exercises["ch3.softmax"].checks if not c.visible]
    assert hidden and all(c.status in ("error", "failed") for c in hidden)
    feedback = (graded["out"] / "feedback" / f"{name}.md").read_text().splitlines()
    for c in hidden:
        line = f"- ❌ NOT PASSED: {c.label} (hidden check) — **{status_word(c.status)}** (0 / {c.max_points:g} pt)"
        at = feedback.index(line)
        assert not feedback[at + 1].strip() or feedback[at + 1].startswith("- "), feedback[at:at + 3]
        assert not (at + 2 < len(feedback) and feedback[at + 2].lstrip().startswith("```")), feedback[at:at + 4]
    outputs = {t["output"] for t in results_json(row)["tests"] if "hidden" in t["name"]}
    assert outputs <= {status_word(c.status) for c in hidden}, outputs


def test_a_note_forged_during_a_check_never_reaches_the_student(graded):
    """Cell notes come from a worker that only imported the notebook: the genuine one (cell 1's
    google.colab) is there, the lines the student's code wrote while being checked are not."""
    from grader.export.gradescope import results_json
    from grader.grading.gradebook import Gradebook
    feedback = (graded["out"] / "feedback" / "forged_cell_note.md").read_text()
    assert "code cell 1 failed (ModuleNotFoundError" in feedback, feedback
    assert "LEAK" not in feedback
    book = Gradebook(graded["out"] / "gradebook.sqlite")
    try:
        row = book.rows()["forged_cell_note"]
    finally:
        book.close()
    assert "LEAK" not in str(results_json(row))
    assert "LEAK" in (row.exercises["ch3.softmax"].worker or {}).get("stderr", "")   # the instructor sees it


def test_no_ipc_object_outlives_the_run(graded):
    key = _load_attacks().IPC_KEY
    with open("/proc/sysvipc/shm") as fh:
        keys = [int(line.split()[0]) for line in fh.readlines()[1:] if line.split()]
    assert key not in keys


def test_no_key_outlives_the_run(graded):
    """The keyring writer's key would stay in the kernel after its worker (user keyrings live on)."""
    with open("/proc/keys") as fh:
        assert "tg-course-share" not in fh.read()


def test_replies_built_to_expand_are_refused_quickly(graded):
    rows = _grades(graded["out"])
    honest = rows["control_wrong"]["exercises"]["ch3.softmax"]["seconds"]
    for name in ("zero_stride_reply", "pickle_bomb_reply", "huge_pickle_reply"):
        # these reach the bytes by patching the engine's encoder: caught by the seal first
        entry = rows[name]["exercises"]["ch3.softmax"]
        assert entry["seconds"] < honest + 5, (name, entry["seconds"], honest)
        assert entry["tampering"], (name, entry["checks"][0]["message"])
    for name in FORGED_FRAMES:
        entry = rows[name]["exercises"]["ch3.softmax"]
        assert entry["seconds"] < honest + 5, (name, entry["seconds"], honest)
        assert not entry["tampering"], name
        messages = " ".join(c["message"] for c in entry["checks"])
        assert "unreadable reply" in messages or "refused" in messages, (name, messages[:500])


def test_the_raw_frames_reached_the_judge(graded):
    """The forgeries are only a test of the reader if their frames were read: each exercise's
    instructor detail names the reader's refusal, not a crash before the frame was written."""
    rows = _grades(graded["out"])
    for name in FORGED_FRAMES:
        detail = " ".join(c.get("message", "") + c.get("detail", "")
                          for c in rows[name]["exercises"]["ch3.softmax"]["checks"])
        assert any(word in detail for word in ("shape does not match", "larger than the reply",
                                               "could not decode", "malformed")), (name, detail[:800])


def test_a_sleeping_submission_costs_seconds(graded):
    rows = _grades(graded["out"])
    entry = rows["sleeper"]["exercises"]["ch3.softmax"]
    assert all(c["status"] == "timeout" for c in entry["checks"])
    assert "this check allows" in " ".join(c["message"] for c in entry["checks"])


def test_deep_folders_and_case_clashes_are_those_students_errors(graded):
    rows = _grades(graded["out"])
    assert "nested more than" in rows["deep_folder_chain"]["problem"]
    for sid in ("Case_Clash", "case_clash"):
        assert "'Case_Clash'" in rows[sid]["problem"] and "'case_clash'" in rows[sid]["problem"]


def test_feedback_renders_no_forged_markup(graded):
    from markdown_it import MarkdownIt
    render = MarkdownIt("commonmark").enable("table")
    for path in (graded["out"] / "feedback").glob("*.md"):
        html = render.render(path.read_text())
        assert len(re.findall(r"<strong>Final grade:", html)) == 1, path.name
        assert len(re.findall(r"<h1>", html)) == 1, path.name
        assert "<script" not in html and "<img" not in html, path.name
        assert 'href="javascript' not in html.lower() and "<a " not in html, path.name
FORGED_FRAMES = sorted(n for n in ATTACKS if n.startswith("forged_frame_"))
TAMPERERS = sorted(n for n in ATTACKS if n.startswith("tamper_"))
# every bypass of a ban and every route of issue 24 uses something outside the allowlist
BYPASSES = sorted(n for n in ATTACKS if n.startswith("ban_") or ATTACKS[n]["score"] is None)


def _report(graded) -> dict:
    return json.loads((graded["out"] / "grades.json").read_text())


def _exercise(report: dict, student: str) -> dict:
    row = next(s for s in report["students"] if s["student"] == student)
    return row["exercises"]["ch3.softmax"]


@pytest.mark.parametrize("name", TAMPERERS)
def test_tampering_is_reported_and_listed_for_the_instructor(graded, name):
    report = _report(graded)
    entry = _exercise(report, name)
    assert entry["tampering"], (name, entry)
    assert any(c["status"] == "tampering" for c in entry["checks"]), [c["status"] for c in entry["checks"]]
    assert any(item["student"] == name and item["tampering"] for item in report["for_review"])
    assert name in (graded["out"] / "review.md").read_text()
    feedback = (graded["out"] / "feedback" / f"{name}.md").read_text()
    assert "changed the grader's own code" in feedback


@pytest.mark.parametrize("name", BYPASSES)
def test_ban_bypasses_are_findings(name):
    assert FINDINGS[name], name


def test_every_attack_says_what_the_review_finds():
    assert set(FINDINGS) == set(ATTACKS)


@pytest.mark.parametrize("name", sorted(n for n in ATTACKS if "ch3/softmax.py" in ATTACKS[n]["files"]))
def test_the_review_finds_exactly_what_the_attack_expects(name):
    """Each finding's line and kind: the review reads the file the worker would import."""
    from grader.grading.review import review_findings
    from grader.course import load_course
    values = placeholders(Path("/out"), Path("/submissions"), Path("/marker"), 1)
    content = ATTACKS[name]["files"]["ch3/softmax.py"]
    text = fill(content.decode("utf-8", "replace") if isinstance(content, bytes) else content, values)
    lines = text.splitlines()
    expected = set()
    for kind, piece in FINDINGS[name]:
        found = [i for i, line in enumerate(lines, start=1) if fill(piece, values) in line]
        assert found, (name, piece)
        expected |= {(i, kind) for i in found}
    forbid = load_course(ROOT).exercise("ch3.softmax").forbid
    assert {(f.line, f.kind) for f in review_findings(text, forbid)} == expected


def test_each_exercise_result_carries_its_findings(graded):
    """The judge reviews the module before the worker imports it, and the findings reach
    grades.json, review.md and the terminal."""
    from grader.grading.review import review_source
    from grader.course import load_course
    forbid = load_course(ROOT).exercise("ch3.softmax").forbid
    report = _report(graded)
    review = (graded["out"] / "review.md").read_text()
    for name, spec in ATTACKS.items():
        row = next((s for s in report["students"] if s["student"] == name), None)
        entry = (row or {}).get("exercises", {}).get("ch3.softmax")
        if entry is None or entry["status"] != "graded":
            continue
        if "ch3/softmax.py" in spec["files"]:
            content = spec["files"]["ch3/softmax.py"]
            text = fill(content.decode() if isinstance(content, bytes) else content, graded["values"])
            assert entry["findings"] == review_source(text, forbid), name
        assert bool(entry["findings"]) == bool(FINDINGS[name]), (name, entry["findings"])
        if entry["findings"]:
            assert f"## {name}, ch3.softmax" in review, name
            assert any(item["student"] == name and item["findings"] for item in report["for_review"])
    assert "finding(s) of the review" in graded["proc"].stdout


def test_honest_students_are_neither_flagged_nor_tampering(graded):
    report = _report(graded)
    for name in ("control_perfect", "zz_control_perfect", "control_wrong"):
        entry = _exercise(report, name)
        assert entry["findings"] == [] and entry["tampering"] == "", (name, entry["findings"], entry["tampering"])
    review = (graded["out"] / "review.md").read_text()
    assert "control_perfect" not in review
