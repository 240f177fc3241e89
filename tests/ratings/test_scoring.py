"""Totals, grades and ranks are computed from scores (pure functions, no database)."""
from __future__ import annotations

from decimal import Decimal as D

from portal.ratings.scoring import BandSpec, IndicatorSpec, competition_ranks, compute_results, grade_of, total_of

INDICATORS = [IndicatorSpec("A1", "政务公开", D(25), D(100)), IndicatorSpec("A2", "守信践诺", D(75), D(50))]
BANDS = [BandSpec("优秀", D(90)), BandSpec("良好", D(80)), BandSpec("一般", D(60)), BandSpec("较差", D(0))]


class Dept:
    def __init__(self, slug, position):
        self.slug, self.position, self.name = slug, position, slug


def test_the_total_weights_each_score_by_its_maximum():
    # 80/100 × 25 + 45/50 × 75 = 20 + 67.5
    assert total_of({"A1": D(80), "A2": D(45)}, INDICATORS) == D("87.50")


def test_totals_round_half_up_to_cents():
    indicators = [IndicatorSpec("A", "a", D(100), D(3))]
    assert total_of({"A": D(1)}, indicators) == D("33.33")
    assert total_of({"A": D(2)}, indicators) == D("66.67")


def test_a_grade_is_the_highest_band_the_total_reaches():
    assert [grade_of(D(total), BANDS) for total in ("100", "90", "89.99", "80", "60", "59.99", "0")] == [
        "优秀", "优秀", "良好", "良好", "一般", "较差", "较差"]


def test_ties_share_a_rank_and_the_next_rank_is_skipped():
    assert competition_ranks([D(90), D(85), D(90), D(70)]) == [1, 3, 1, 4]


def test_results_come_best_first_ties_in_the_plans_order():
    office, rescue, staff = Dept("office", 0), Dept("mine-rescue-team", 5), Dept("personnel", 1)
    results = compute_results("weighted_sum_v1", INDICATORS, BANDS, {
        rescue: {"A1": D(100), "A2": D(50)},
        office: {"A1": D(60), "A2": D(30)},
        staff: {"A1": D(60), "A2": D(30)},
    })
    assert [(r.department.slug, r.total, r.grade, r.rank) for r in results] == [
        ("mine-rescue-team", D("100.00"), "优秀", 1),
        ("office", D("60.00"), "一般", 2),
        ("personnel", D("60.00"), "一般", 2),
    ]
