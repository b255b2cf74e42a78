"""The report's statistics against values worked out by hand on a five-student gradebook.

ch1.basics has checks a (2 points), b (1) and bad (1); s5 handed in nothing.

    student   a  b  bad  total   rest without a / b / bad
    s1        2  1  0    3       1 / 2 / 3
    s2        2  0  0    2       0 / 2 / 2
    s3        0  1  1    2       2 / 1 / 1
    s4        0  0  1    1       1 / 1 / 0
    s5        (missing)  0

Item scores: a (1, 1, 0, 0), b (1, 0, 1, 0), bad (0, 0, 1, 1): each p = 0.5. The 27 % groups of
the four who handed in have one student each: upper s1 (3), lower s4 (1). D: a 1 - 0 = 1,
b 1 - 0 = 1, bad 0 - 1 = -1. Point-biserial with the rest: a: dx (.5, .5, -.5, -.5), dy (0, -1,
1, 0), sum -1 over sqrt(1 * 2) = -0.7071; b: dy (.5, .5, -.5, -.5), sum 0 -> 0; bad: dy (1.5, .5,
-.5, -1.5), sum -2 over sqrt(1 * 5) = -0.8944.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.reports import stats


def test_item_analysis_matches_hand_computed_values(rk) -> None:
    items = {it.check_id.split("::")[1]: it for it in stats.item_analysis(rk.results(rk.hand_rows()), ["ch1.basics", "ch2.twice"])}
    assert sorted(items) == ["a", "b", "bad"]          # ch2.twice: nobody handed it in, no item
    for name in ("a", "b", "bad"):
        assert items[name].n == 4 and items[name].difficulty == pytest.approx(0.5)
    assert items["a"].discrimination == pytest.approx(1.0)
    assert items["b"].discrimination == pytest.approx(1.0)
    assert items["bad"].discrimination == pytest.approx(-1.0)
    assert items["a"].point_biserial == pytest.approx(-1 / math.sqrt(2))
    assert items["b"].point_biserial == pytest.approx(0.0, abs=1e-12)
    assert items["bad"].point_biserial == pytest.approx(-2 / math.sqrt(5))
    # four students: nothing is judged (stats.MIN_STUDENTS), however the numbers came out
    assert all(items[name].flags == [] for name in ("a", "b", "bad"))


def test_from_twenty_students_checks_are_judged_and_chance_is_not_a_flag(rk) -> None:
    rows = rk.results(rk.class_of_24())
    items = {it.check_id.split("::")[1]: it for it in stats.item_analysis(rows, ["ch1.basics"])}
    totals = np.array([r.totals(["ch1.basics"])[0] for r in rows])
    for name, points in (("b", 1), ("bad", 1)):
        got = np.array([next(c.points for c in r.exercises["ch1.basics"].check_results() if c.name == name) for r in rows])
        assert items[name].point_biserial == pytest.approx(np.corrcoef(got / points, totals - got)[0, 1])
    assert items["bad"].n == 24 and items["bad"].point_biserial < stats.negative_r(24) < -0.4
    assert items["bad"].flags == ["negative discrimination: the weaker students pass it more often",
                                  "negative point-biserial"]
    assert -0.3 < items["b"].point_biserial < 0           # negative, but well within chance at n = 24
    assert "negative point-biserial" not in items["b"].flags
    assert items["a"].discrimination == 1.0 and not any("discrimination" in f for f in items["a"].flags)
    assert [it.check_id for it in stats.judged(list(items.values()))] == [it.check_id for it in items.values()]
    assert stats.judged(list(items.values()), min_students=25) == []


def test_small_pieces_by_hand() -> None:
    assert stats.group_size(10) == 3 and stats.group_size(4) == 1 and stats.group_size(100) == 27
    # ten students, item passed by the top three and one in the middle
    totals = list(range(10))
    items = [0, 0, 0, 0, 1, 0, 0, 1, 1, 1]
    assert stats.discrimination_index(items, totals) == pytest.approx(1.0)   # upper 3/3, lower 0/3
    assert math.isnan(stats.point_biserial([1, 1, 1], [1, 2, 3]))           # constant item: undefined
    s = stats.summarize([3, 2, 2, 1, 0])
    assert (s.n, s.mean, s.median, s.minimum, s.maximum) == (5, 1.6, 2.0, 0.0, 3.0)
    assert s.sd == pytest.approx(math.sqrt(5.2 / 4))


def test_skipped_check_is_left_out_not_counted_zero(rk) -> None:
    rows = rk.hand_rows()
    rows[0]["exercises"]["ch1.basics"]["checks"][1].update(status="skipped", points=0.0)
    b = next(it for it in stats.item_analysis(rk.results(rows), ["ch1.basics"]) if it.check_id.endswith("::b"))
    assert b.n == 3 and b.difficulty == pytest.approx(1 / 3)


def test_exercise_outcomes(rk) -> None:
    e = stats.exercise_stats(rk.results(rk.hand_rows()), "ch1.basics", 4)
    assert e.scores == [3, 2, 2, 1, 0.0]
    assert (e.full, e.zero) == (0, 1)
    assert e.outcomes["missing"] == 1 and e.outcomes["failed"] == 4 and e.outcomes["error"] == 1
    assert e.summary.mean == pytest.approx(1.6)


def test_failure_reasons_are_grouped_by_reason_most_students_first(rk) -> None:
    rows = rk.hand_rows()
    # s3 fails b as s4 does, with other numbers in the wording; s2's stub-like check is "not attempted"
    rows[2]["exercises"]["ch1.basics"]["checks"][1].update(status="failed", points=0.0, summary="wrong sign at 3",
                                                           message="wrong sign at 3")
    rows[3]["exercises"]["ch1.basics"]["checks"][1].update(summary="wrong sign at 17", message="wrong sign at 17")
    rows[1]["exercises"]["ch1.basics"]["checks"][1].update(summary="add is not implemented yet",
                                                           message="add is not implemented yet")
    found = stats.failure_reasons(rk.results(rows), ["ch1.basics", "ch2.twice"])
    texts = [r.text for r in found]
    assert texts == ["got 3 expected 4", "shape (4, 1) expected (4,)", "wrong sign at 17", stats.NOT_ATTEMPTED]
    first = found[0]
    assert (first.students, first.failures, first.variants) == (2, 2, 2)      # "got 5 expected 4" grouped in
    assert first.checks == [("ch1.basics", "check bad", 2)] and first.exercises == [("ch1.basics", 1, 2)]
    sign = found[2]
    assert (sign.students, sign.variants) == (2, 2) and sign.checks == [("ch1.basics", "check b", 2)]
    assert not any("not handed in" in t for t in texts)      # ch2.twice: counted per exercise instead
