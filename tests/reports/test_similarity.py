"""Similarity: copies survive renaming, comments, whitespace and literals; independent work and
the stub's skeleton do not make a pair."""

from __future__ import annotations

import re
from pathlib import Path

from grader.course import load_course
from grader.reports.similarity import clusters, compare, fingerprints, normalize, side_by_side, similar_pairs

# Code the stub gives every student (a training loop, a demo): keeping it is not copying.
GIVEN = '''

def train(net, train_iter, loss, updater, epochs):
    """Given: trains net for a number of epochs and returns the per-epoch mean loss."""
    history = []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for X, y in train_iter:
            l = loss(net(X), y)
            updater.zero_grad()
            l.mean().backward()
            updater.step()
            total += float(l.sum())
            count += y.numel()
        history.append(total / count)
    return history


if __name__ == "__main__":
    X = torch.randn(2, 5)
    print(softmax(X), softmax(X).sum(1))
    print(accuracy(torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1])))
'''

STUB = '''\
import torch


def softmax(X):
    """Row-wise softmax of a 2-D tensor, stable for large inputs."""
    raise NotImplementedError("subtract the row maximum, exponentiate, divide by the row sum")


def cross_entropy(y_hat, y):
    """Mean negative log-probability of the true classes."""
    raise NotImplementedError("pick the probability of the true class of every row")


def accuracy(y_hat, y):
    """Share of rows whose largest score is the label."""
    raise NotImplementedError("compare argmax with y")
''' + GIVEN

ORIGINAL = '''\
import torch


def softmax(X):
    """Row-wise softmax of a 2-D tensor, stable for large inputs."""
    shifted = X - X.max(dim=1, keepdim=True).values   # stability
    exps = torch.exp(shifted)
    total = exps.sum(dim=1, keepdim=True)
    if torch.any(total == 0):
        raise ValueError("empty row")
    return exps / total


def cross_entropy(y_hat, y):
    """Mean negative log-probability of the true classes."""
    picked = y_hat[torch.arange(len(y_hat)), y]
    clipped = torch.clamp(picked, min=1e-12)
    losses = -torch.log(clipped)
    return losses.mean()


def accuracy(y_hat, y):
    """Share of rows whose largest score is the label."""
    if y_hat.ndim > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    hits = (y_hat.type(y.dtype) == y).type(torch.float32)
    return float(hits.sum()) / len(y)
''' + GIVEN

# The same program with every chosen name, every comment, the spacing and the literals changed.
RENAMED = '''\
import torch


def softmax(inp):
    """Softmax, my own words."""
    moved   =   inp - inp.max(dim = 1, keepdim = True).values
    e = torch.exp(moved)   # exponentiate
    s = e.sum(dim=1, keepdim=True)
    if torch.any(s == 0.0):
        raise ValueError('a row with nothing in it')
    return e / s


def cross_entropy(pred, labels):
    # pick, clip, log
    chosen = pred[torch.arange(len(pred)), labels]
    safe = torch.clamp(chosen, min=1e-9)
    nll = -torch.log(safe)
    return nll.mean()


def accuracy(pred, labels):
    if pred.ndim > 1 and pred.shape[1] > 1:
        pred = pred.argmax(dim=1)
    ok = (pred.type(labels.dtype) == labels).type(torch.float32)
    return float(ok.sum()) / len(labels)
''' + GIVEN

# A copy with some work put in: a line added, a helper inlined, one function rewritten.
ALIKE = RENAMED.replace(
    "    return nll.mean()\n",
    "    result = nll.mean()\n    return result\n").replace(
    "    if pred.ndim > 1 and pred.shape[1] > 1:\n        pred = pred.argmax(dim=1)\n",
    "    if pred.ndim > 1:\n        pred = pred.argmax(dim=1)\n")

# Independent work: the same functions written another way.
DIFFERENT = '''\
import torch


def softmax(X):
    """Row-wise softmax of a 2-D tensor, stable for large inputs."""
    out = torch.empty_like(X)
    for i in range(X.shape[0]):
        row = X[i]
        m = torch.max(row)
        ex = torch.exp(row - m)
        out[i] = ex / torch.sum(ex)
    return out


def cross_entropy(y_hat, y):
    """Mean negative log-probability of the true classes."""
    logp = torch.log(y_hat.gather(1, y.view(-1, 1)).squeeze(1))
    return -(logp.sum() / y.numel())


def accuracy(y_hat, y):
    """Share of rows whose largest score is the label."""
    predicted = torch.argmax(y_hat, dim=-1) if y_hat.dim() == 2 else y_hat
    correct = 0
    for p, t in zip(predicted.tolist(), y.tolist()):
        correct += int(p == t)
    return correct / max(1, len(y))
''' + GIVEN


def test_normalising_removes_names_comments_spacing_literals() -> None:
    a = normalize("total = exps.sum(dim=1)  # the sum\n")
    b = normalize("s   =  e.sum(dim = 2)\n")
    assert a == b == ["N", "=", "N", ".", "sum", "(", "N", "=", "L", ")"]
    assert normalize("torch.exp(x)")[2] == "exp"          # an attribute is the API, kept
    assert normalize("def f(:\n  'broken") != []            # a syntax error is still read


def test_renamed_copy_scores_one_and_alike_copy_is_listed() -> None:
    codes = {"ann": ORIGINAL, "ben": RENAMED, "cat": ALIKE, "dov": DIFFERENT, "eve": STUB, "fay": STUB}
    pairs = {(p.a, p.b): p.score for p in similar_pairs("ch3.softmax", codes, STUB)}
    assert pairs[("ann", "ben")] == 1.0
    assert pairs[("ann", "cat")] >= 0.6 and pairs[("ben", "cat")] >= 0.6
    assert all(score < 0.3 for (a, b), score in pairs.items() if "dov" in (a, b))
    assert not any({"eve", "fay"} & {a, b} for a, b in pairs)   # the untouched stub is nobody's copy


def test_the_stub_does_not_make_students_alike() -> None:
    # Two students keep the whole skeleton (docstrings, signatures) and write one line each, differently.
    one = STUB.replace('    raise NotImplementedError("compare argmax with y")\n',
                       "    return float((y_hat.argmax(dim=1) == y).float().mean())\n")
    two = STUB.replace('    raise NotImplementedError("compare argmax with y")\n',
                       "    right = 0\n    for i in range(len(y)):\n        right += int(y_hat[i].argmax() == y[i])\n"
                       "    return right / len(y)\n")
    with_stub = {(p.a, p.b): p.score for p in similar_pairs("x", {"one": one, "two": two}, STUB)}
    without = {(p.a, p.b): p.score for p in similar_pairs("x", {"one": one, "two": two}, "")}
    assert without[("one", "two")] > 0.5          # the skeleton alone makes them look alike...
    assert with_stub.get(("one", "two"), 0.0) < 0.3   # ...until the stub's fingerprints are removed


def test_fingerprints_are_reproducible_and_diff_renders() -> None:
    assert fingerprints(ORIGINAL) == fingerprints(ORIGINAL) and len(fingerprints(ORIGINAL)) > 10
    table = side_by_side("ann", ORIGINAL, "ben", RENAMED)
    assert table.startswith("\n    <table") and "ann" in table and "ben" in table


# ---------------------------------------------------------------------------- the real course

ROOT = Path(__file__).resolve().parents[2]
GOOGLENET = "ch7.googlenet"
_P = re.compile(r"\bp(\d)_(\d)\b")
_LOCALS = re.compile(r"\b(c1|c2|c3|c4|in_channels|x|p1|p2|p3|p4|b[1-5]|net|stages)\b")


def _googlenet() -> tuple[str, str, str, float]:
    """(stub, reference, a correct variant, the course's threshold) of ch7.googlenet."""
    course = load_course(ROOT)
    ex = course.exercises[GOOGLENET]
    variant = (ex.variants_dir / "named_stages_mean_pool.py").read_text()
    assert 'VERDICT = "correct"' in variant and "self.p1_1 = " in variant
    return (ex.stub_path.read_text(), ex.solution_path.read_text(), variant, course.report.similarity_threshold)


def _renamed(code: str) -> str:
    """What a copier does first: every attribute the file defines (self.p1_1 ...) and every local
    name renamed, comments changed."""
    code = _P.sub(lambda m: f"branch{m.group(1)}_layer{m.group(2)}", code)
    code = _LOCALS.sub(lambda m: f"my_{m.group(1)}", code)
    return code.replace("#", "# mine:")


def test_a_copy_with_its_attributes_renamed_stays_a_pair_and_reference_twins_are_not() -> None:
    stub, reference, variant, threshold = _googlenet()
    copy = _renamed(variant)
    assert "self.p1_1" not in copy and "self.branch1_layer1 = " in copy and "my_in_channels" in copy
    codes = {"ann": variant, "ben": copy, "cat": reference, "dov": _renamed(reference)}
    found = compare(GOOGLENET, codes, stub, reference)
    pairs = {(p.a, p.b): p for p in found.pairs}
    assert pairs[("ann", "ben")].score >= 0.95 and not pairs[("ann", "ben")].explained
    # cat handed in the reference, dov the reference renamed: alike because the answer is
    assert pairs[("cat", "dov")].score >= 0.95 and pairs[("cat", "dov")].explained
    assert found.reference["cat"] == 1.0 and found.reference["dov"] >= 0.95 and found.reference["ann"] < threshold
    groups = clusters([p for p in found.pairs if p.score >= threshold and not p.explained])
    assert [g.students for g in groups] == [["ann", "ben"]]


def test_attributes_the_file_defines_are_names_and_the_api_stays() -> None:
    _, _, variant, _ = _googlenet()
    copy = _P.sub(lambda m: f"branch{m.group(1)}_layer{m.group(2)}", variant)
    assert normalize(copy) == normalize(variant)            # self.p1_1 and self.branch1_layer1 read alike
    tokens = normalize(variant)
    assert "p1_1" not in tokens and "forward" not in tokens  # defined by the file (attributes, methods)
    assert {"relu_", "cat", "Conv2d", "MaxPool2d"} <= set(tokens)   # torch's names after a dot are kept
    assert similar_pairs(GOOGLENET, {"ann": variant, "ben": copy}, _googlenet()[0])[0].score == 1.0


def test_the_report_lists_the_copy_and_names_the_reference_twins(tmp_path: Path) -> None:
    from grader.grading.final import finalize_rows
    from grader.reports.html import build_report
    from grader.results import CheckResult, ExerciseResult, StudentResult

    stub, reference, variant, _ = _googlenet()
    course = load_course(ROOT)
    codes = {"ann": variant, "ben": _renamed(variant), "cat": reference, "dov": _renamed(reference), "eve": stub}
    rows = [StudentResult(s, "folder", s, exercises={GOOGLENET: ExerciseResult(
        "graded", 10.0, 10.0, source="ch7/googlenet.py", code=code,
        checks=[CheckResult(f"{GOOGLENET}::t", "t", False, "passed", 1.0, 1.0)])}) for s, code in codes.items()]
    html, _, _, info = build_report(course, finalize_rows(rows, course, [GOOGLENET]), {}, [GOOGLENET])
    table = html.split('id="similarity-table"')[1].split("</table>")[0]
    assert "<td>ann, ben</td>" in table and "cat" not in table and info["clusters"] == 1
    matches = html.split('id="reference-table"')[1].split("</table>")[0]
    assert "<td>cat, dov</td>" in matches and "ann" not in matches
