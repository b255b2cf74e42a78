"""The figures of the class report: one idea each, readable without the text around them.

Each function returns PNG bytes (matplotlib's Agg backend: no display, no network), which the
report embeds and also saves under OUT/figures/ for slides.
"""

from __future__ import annotations

import io
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from grader.reports.stats import ExerciseStats, ItemStats, LOW_DISCRIMINATION

DPI = 110
STATUS_COLOURS = {"full marks": "#2e7d32", "partial": "#9ccc65", "zero (handed in)": "#ffb300",
                  "missing": "#9e9e9e"}


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def totals_histogram(totals: Sequence[float], maximum: float) -> bytes:
    fig, ax = plt.subplots(figsize=(7, 3.2))
    top = maximum if maximum > 0 else max(list(totals) + [1.0])
    bins = np.linspace(0, top, min(20, max(5, len(totals) // 3)) + 1)
    ax.hist(np.clip(totals, 0, top), bins=bins.tolist(), color="#3f6fb5", edgecolor="white")
    if len(totals):
        ax.axvline(float(np.mean(totals)), color="#c62828", linestyle="--", label=f"mean {np.mean(totals):.1f}")
        ax.axvline(float(np.median(totals)), color="#222", linestyle=":", label=f"median {np.median(totals):.1f}")
        ax.legend(frameon=False)
    ax.set_xlabel(f"total points (of {maximum:g})")
    ax.set_ylabel("students")
    ax.set_title("How the class did: totals")
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def exercise_strip(stats: list[ExerciseStats]) -> bytes:
    """Every student's share of each exercise's points, one dot each (jittered)."""
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(stats) + 1.2))
    rng = np.random.default_rng(0)     # fixed jitter: the same gradebook draws the same figure
    for i, s in enumerate(stats):
        pct = 100 * np.asarray(s.scores) / (s.points or 1)
        ax.scatter(pct, i + rng.uniform(-0.25, 0.25, pct.size), s=16, alpha=0.5, color="#3f6fb5", linewidths=0)
        if pct.size:
            ax.plot([pct.mean()] * 2, [i - 0.35, i + 0.35], color="#c62828", linewidth=2)
    ax.set_yticks(range(len(stats)), [s.exercise for s in stats])
    ax.invert_yaxis()
    ax.set_xlim(-3, 103)
    ax.set_xlabel("share of the exercise's points (%); red bar: mean")
    ax.set_title("Score distribution per exercise")
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def exercise_outcomes(stats: list[ExerciseStats], n_students: int) -> bytes:
    """Full marks / partial / zero / missing per exercise, as shares of the class."""
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(stats) + 1.4))
    n = max(n_students, 1)
    left = np.zeros(len(stats))
    parts = {
        "full marks": [s.full for s in stats],
        "partial": [n_students - s.full - s.zero for s in stats],
        "zero (handed in)": [s.zero - s.outcomes["missing"] for s in stats],
        "missing": [s.outcomes["missing"] for s in stats],
    }
    for label, counts in parts.items():
        share = 100 * np.asarray(counts, dtype=float) / n
        ax.barh(range(len(stats)), share, left=left, color=STATUS_COLOURS[label], label=label)
        left += share
    ax.set_yticks(range(len(stats)), [s.exercise for s in stats])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of students (%)")
    ax.set_title("Outcome per exercise")
    ax.legend(ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.4 / max(len(stats), 1)), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def item_map(items: list[ItemStats]) -> bytes:
    """Difficulty against discrimination, one dot per check; flagged checks in red."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ok = [it for it in items if not it.flagged and it.discrimination == it.discrimination]
    bad = [it for it in items if it.flagged and it.discrimination == it.discrimination]
    ax.axhspan(-1.05, LOW_DISCRIMINATION, color="#ffebee", zorder=0)
    ax.scatter([it.difficulty for it in ok], [it.discrimination for it in ok], s=22, color="#3f6fb5",
               label="check")
    ax.scatter([it.difficulty for it in bad], [it.discrimination for it in bad], s=30, color="#c62828",
               marker="x", label="flagged check")
    ax.axhline(LOW_DISCRIMINATION, color="#c62828", linewidth=0.8, linestyle="--")
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("difficulty p (share of students who pass)")
    ax.set_ylabel("discrimination D (upper - lower 27 %)")
    ax.set_title(f"Item analysis: checks below D = {LOW_DISCRIMINATION:g} (shaded) deserve a look")
    ax.legend(frameon=False, loc="lower left")
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def similarity_histogram(scores: Sequence[float], threshold: float) -> bytes:
    """Every compared pair's overlap score, with the course's threshold."""
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.hist(scores, bins=np.linspace(0, 1, 21).tolist(), color="#7e57c2", edgecolor="white")
    ax.axvline(threshold, color="#c62828", linestyle="--", label=f"threshold {threshold:g}")
    ax.set_yscale("log" if len(scores) > 50 else "linear")
    ax.set_xlabel("fingerprint overlap of a pair of submissions (Jaccard)")
    ax.set_ylabel("pairs")
    ax.set_title("Similarity of pairs (those sharing any fingerprint)")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


__all__ = ["totals_histogram", "exercise_strip", "exercise_outcomes", "item_map", "similarity_histogram"]
