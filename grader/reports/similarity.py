"""Which submissions of one exercise are suspiciously alike: token n-gram fingerprints with
winnowing (Schleimer, Wilkerson and Aiken 2003, the method behind MOSS).

Code is first normalised so that what is cheap to change changes nothing: comments and
whitespace are dropped (docstrings too), every name a student chooses becomes one token (attribute names after a
dot are kept: `torch.exp` is the API, not a choice), every literal becomes one token. k-grams of
those tokens are hashed, and winnowing keeps the smallest hash of every window of w k-grams, so
any shared run of at least k + w - 1 tokens is found. Fingerprints that the exercise's stub
already holds are removed (keeping the skeleton is not copying), and so are those most of the
class shares (the one obvious way to write a line). The score of a pair is the Jaccard overlap
of what is left. It is a flag for a person to look at, never a penalty.
"""

from __future__ import annotations

import difflib
import keyword
import re
import zlib
from dataclasses import dataclass
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


def normalize(code: str) -> list[str]:
    """The token stream that fingerprints are made of."""
    out = []
    prev = ""
    for string, comment, number, name, op in _TOKEN.findall(code):
        if string:
            # A triple-quoted string is a docstring or a comment in all but name: it goes too.
            if not string.lstrip("rbfuRBFU").startswith(_TRIPLE):
                out.append("L")
                prev = "L"
        elif number:
            out.append("L")
            prev = "L"
        elif name:
            out.append(name if name in _KEYWORDS or prev == "." else "N")
            prev = name
        elif op:
            out.append(op)
            prev = op
    return out


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


def similar_pairs(exercise: str, codes: dict[str, str], stub: str = "", threshold: float = 0.0,
                  common_share: float = COMMON_SHARE) -> list[Pair]:
    """Pairs of students whose code for one exercise scores at least `threshold`, best first."""
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
    pairs = []
    for (a, b), n in shared.items():
        sa, sb = len(own[a] - common), len(own[b] - common)
        union = sa + sb - n
        score = n / union if union else 0.0
        if score >= threshold:
            pairs.append(Pair(exercise, a, b, round(score, 4), n))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return pairs


_DIFF_IDS = re.compile(r"(?<=[_\"#])(from|to)\d+_")


def side_by_side(a_name: str, a_code: str, b_name: str, b_code: str, number: int = 0) -> str:
    """An HTML table of the two files next to each other, differences marked (only the
    changed regions and a few lines around them). `number` makes its anchors unique in a page;
    difflib's own count goes on across calls, which would make the same report differ."""
    table = difflib.HtmlDiff(tabsize=4, wrapcolumn=70).make_table(
        a_code.splitlines(), b_code.splitlines(), a_name, b_name, context=True, numlines=3)
    return _DIFF_IDS.sub(lambda m: f"{m.group(1)}{number}_", table)


__all__ = ["normalize", "fingerprints", "similar_pairs", "side_by_side", "Pair"]
