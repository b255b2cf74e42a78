"""Which submissions of one exercise are suspiciously alike: token n-gram fingerprints with
winnowing (Schleimer, Wilkerson and Aiken 2003, the method behind MOSS).

Code is first normalised so that what is cheap to change changes nothing: comments and
whitespace are dropped (docstrings too), every name a student chooses becomes one token, and so
does every name the file itself defines when it follows a dot (`self.p1_1 = ...` and every later
`self.p1_1`, a method called as `self.helper()`): renaming them all is the first thing a copier
does. Other names after a dot are kept (`torch.exp` is the API, not a choice), every literal
becomes one token. k-grams of those tokens are hashed, and winnowing keeps the smallest hash of
every window of w k-grams, so any shared run of at least k + w - 1 tokens is found. Fingerprints
that the exercise's stub already holds are removed (keeping the skeleton is not copying), and so
are those most of the class shares (the one obvious way to write a line). The score of a pair is
the Jaccard overlap of what is left.

Two students who each handed in the reference solution are alike because the answer is alike,
not because one copied the other: a pair whose two files are each at least as close to the
reference solution as to each other is "explained by the reference", and the report lists those
students as matching the reference instead of as a pair. Pairs that remain are grouped into
clusters (one group of near-identical files is one line, however many pairs it makes). It is a
flag for a person to look at, never a penalty.
"""

from __future__ import annotations

import difflib
import keyword
import re
import zlib
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

K = 12                  # tokens per k-gram: below this, shared runs are coincidence
WINDOW = 6              # k-grams per winnowing window: any shared run of K + WINDOW - 1 tokens is seen
MIN_FINGERPRINTS = 4    # a file with fewer own fingerprints (a stub, a one-liner) is not compared
COMMON_SHARE = 0.5      # fingerprints in more than this share of the class are everybody's...
COMMON_MAX = 10         # ...or in more than this many files (MOSS's -m default)...
COMMON_MIN_CLASS = 10   # ...once the class is big enough for that to mean something

# One regular expression, not tokenize: ten times faster, and a file with a syntax error (where
# a copy is as telling as anywhere) is still read. Strings and comments come first, so that what
# they hold is never read as code. findall gives (string, comment, number, name, operator).
_TOKEN = re.compile(r"""
    ((?:[rbfuRBFU]{1,2})?(?:\"\"\"[\s\S]*?\"\"\"|'\''[\s\S]*?'\''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
  | (\#[^\n]*)
  | (\.?\d[\w.]*)
  | ([^\W\d]\w*)
  | (\*\*=?|//=?|->|:=|<<=?|>>=?|[-+*/%@&|^<>!=]=|[^\s\w])
""", re.X)
_KEYWORDS = frozenset(keyword.kwlist)
_TRIPLE = ('"""', "'''")


_ASSIGN = frozenset({"=", "+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=", "&=", "|=", "^=", ">>=", "<<="})


def normalize(code: str) -> list[str]:
    """The token stream that fingerprints are made of."""
    tokens = [t for t in _TOKEN.findall(code) if not t[1]]          # comments go
    defined = _defined_names(tokens)
    out = []
    prev = ""
    for string, _, number, name, op in tokens:
        if string:
            # A triple-quoted string is a docstring or a comment in all but name: it goes too.
            if not string.lstrip("rbfuRBFU").startswith(_TRIPLE):
                out.append("L")
                prev = "L"
        elif number:
            out.append("L")
            prev = "L"
        elif name:
            out.append(name if name in _KEYWORDS or (prev == "." and name not in defined) else "N")
            prev = name
        elif op:
            out.append(op)
            prev = op
    return out


def _defined_names(tokens: list[tuple[str, ...]]) -> set[str]:
    """Names the file defines that may follow a dot: attributes it assigns (`self.p1_1 = ...`,
    `self.count += 1`) and the functions and classes it defines (`self.helper()`)."""
    defined = set()
    for i in range(1, len(tokens) - 1):
        name = tokens[i][3]
        if not name:
            continue
        before = tokens[i - 1][4] or tokens[i - 1][3]
        if before in ("def", "class") or (before == "." and tokens[i + 1][4] in _ASSIGN):
            defined.add(name)
    return defined


def _token_ids(tokens: list[str]) -> np.ndarray:
    # crc32, not hash(): the same code gives the same fingerprints in every run (no hash seed).
    return np.array([zlib.crc32(t.encode()) for t in tokens], dtype=np.uint64)


def fingerprints(code: str, k: int = K, window: int = WINDOW) -> set[int]:
    """Winnowed k-gram hashes of the normalised code."""
    ids = _token_ids(normalize(code))
    n = ids.size - k + 1
    if n <= 0:
        return set()        # shorter than one k-gram: nothing worth comparing
    base = np.uint64(1000003)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * base + ids[j:j + n]     # wraps modulo 2**64, which is what we want
    if n <= window:
        return {int(h.min())}
    windows = np.lib.stride_tricks.sliding_window_view(h, window)
    # The rightmost minimum of each window (the robust winnowing choice).
    pick = window - 1 - np.argmin(windows[:, ::-1], axis=1) + np.arange(windows.shape[0])
    return {int(x) for x in h[np.unique(pick)]}


@dataclass
class Pair:
    exercise: str
    a: str
    b: str
    score: float        # Jaccard overlap of the two students' own fingerprints
    shared: int
    explained: bool = False     # each file is at least as close to the reference solution (see the docstring)


@dataclass
class ExerciseSimilarity:
    exercise: str
    pairs: list[Pair]                                       # every pair with a shared fingerprint, best first
    reference: dict[str, float] = field(default_factory=dict)   # student -> score against the reference solution


# A pair is explained by the reference when each file scores at least this close to the pair's
# own score against the reference: a few tokens either way are noise of the winnowing.
REFERENCE_SLACK = 0.05


def similar_pairs(exercise: str, codes: dict[str, str], stub: str = "", threshold: float = 0.0,
                  common_share: float = COMMON_SHARE) -> list[Pair]:
    """Pairs of students whose code for one exercise scores at least `threshold`, best first."""
    return [p for p in compare(exercise, codes, stub, common_share=common_share).pairs if p.score >= threshold]


def compare(exercise: str, codes: dict[str, str], stub: str = "", reference: str = "",
            common_share: float = COMMON_SHARE) -> ExerciseSimilarity:
    """Every pair of students with something in common for one exercise, and each student's score
    against the `reference` solution (none without one); pairs explained by it are marked."""
    stub_fp = fingerprints(stub) if stub else set()
    own = {s: fingerprints(code) - stub_fp for s, code in codes.items()}
    own = {s: fp for s, fp in own.items() if len(fp) >= MIN_FINGERPRINTS}
    holders: dict[int, list[str]] = {}
    for s, fp in own.items():
        for f in fp:
            holders.setdefault(f, []).append(s)
    # Half the class, or ten students, writing it makes a passage common property, as MOSS's -m
    # option does; a few students copying from each other stay visible.
    limit = max(2, min(COMMON_MAX, int(common_share * len(own))))
    common = {f for f, who in holders.items() if len(who) > limit} if len(own) >= COMMON_MIN_CLASS else set()
    shared: dict[tuple[str, str], int] = {}
    for f, who in holders.items():
        if f in common or len(who) < 2:
            continue
        for pair in combinations(sorted(who), 2):
            shared[pair] = shared.get(pair, 0) + 1
    # Against the reference nothing is common property: the question is whether this file is it.
    ref_fp = fingerprints(reference) - stub_fp if reference else set()
    to_reference = {s: round(_jaccard(fp, ref_fp), 4) for s, fp in own.items()} if len(ref_fp) >= MIN_FINGERPRINTS else {}
    pairs = []
    for (a, b), n in shared.items():
        sa, sb = len(own[a] - common), len(own[b] - common)
        union = sa + sb - n
        score = round(n / union if union else 0.0, 4)
        explained = bool(to_reference) and min(to_reference[a], to_reference[b]) >= score - REFERENCE_SLACK
        pairs.append(Pair(exercise, a, b, score, n, explained))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return ExerciseSimilarity(exercise, pairs, to_reference)


def _jaccard(a: set[int], b: set[int]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


@dataclass
class Cluster:
    """Students whose files for one exercise are alike, pair by pair (single linkage)."""

    exercise: str
    students: list[str]
    pairs: list[Pair]           # the pairs that join them, best first

    @property
    def best(self) -> Pair:
        return self.pairs[0]

    @property
    def lowest(self) -> float:
        return min(p.score for p in self.pairs)


def clusters(pairs: list[Pair]) -> list[Cluster]:
    """The pairs grouped into clusters of one exercise (two pairs that share a student are one
    group), the cluster with the best pair first."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(x: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        parent[root((p.exercise, p.a))] = root((p.exercise, p.b))
    groups: dict[tuple[str, str], list[Pair]] = {}
    for p in pairs:
        groups.setdefault(root((p.exercise, p.a)), []).append(p)
    out = []
    for members in groups.values():
        members.sort(key=lambda p: (-p.score, p.a, p.b))
        students = sorted({s for p in members for s in (p.a, p.b)})
        out.append(Cluster(members[0].exercise, students, members))
    out.sort(key=lambda c: (-c.best.score, -len(c.students), c.exercise, c.students))
    return out


_DIFF_IDS = re.compile(r"(?<=[_\"#])(from|to)\d+_")


def side_by_side(a_name: str, a_code: str, b_name: str, b_code: str, number: int = 0) -> str:
    """An HTML table of the two files next to each other, differences marked (only the
    changed regions and a few lines around them). `number` makes its anchors unique in a page;
    difflib's own count goes on across calls, which would make the same report differ."""
    table = difflib.HtmlDiff(tabsize=4, wrapcolumn=70).make_table(
        a_code.splitlines(), b_code.splitlines(), a_name, b_name, context=True, numlines=3)
    return _DIFF_IDS.sub(lambda m: f"{m.group(1)}{number}_", table)


__all__ = ["normalize", "fingerprints", "similar_pairs", "compare", "clusters", "side_by_side", "Pair",
           "ExerciseSimilarity", "Cluster", "REFERENCE_SLACK"]
