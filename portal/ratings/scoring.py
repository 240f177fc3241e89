"""Totals, grades and ranks, computed from the scores of one edition version. Never typed by hand.

    total = Σ score ÷ maximum × weight   (weights add up to 100, so totals run from 0 to 100)
    grade = the first band, from the highest, whose minimum the total reaches
    rank  = 1 + the number of departments with a higher total (ties share a rank: 1, 2, 2, 4)
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from portal.departments.models import Department

CENT = Decimal("0.01")


@dataclasses.dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name: str
    weight: Decimal
    maximum: Decimal
    description: str = ""


@dataclasses.dataclass(frozen=True)
class BandSpec:
    name: str
    minimum: Decimal


@dataclasses.dataclass(frozen=True)
class DepartmentResult:
    department: Department
    scores: dict[str, Decimal]  # indicator code → score
    total: Decimal
    grade: str
    rank: int
    response: str = ""

    def weighted(self, indicator) -> Decimal:
        """The points an indicator contributes to the total."""
        return weighted_points(self.scores[indicator.code], indicator)


def weighted_points(score: Decimal, indicator) -> Decimal:
    return Decimal(score) / Decimal(indicator.maximum) * Decimal(indicator.weight)


def total_of(scores: dict[str, Decimal], indicators: Iterable) -> Decimal:
    points = sum((weighted_points(scores[indicator.code], indicator) for indicator in indicators), Decimal(0))
    return points.quantize(CENT, rounding=ROUND_HALF_UP)


def grade_of(total: Decimal, bands: Iterable) -> str:
    ordered = sorted(bands, key=lambda band: band.minimum, reverse=True)
    for band in ordered:
        if total >= band.minimum:
            return band.name
    return ordered[-1].name


def competition_ranks(totals: list[Decimal]) -> list[int]:
    return [1 + sum(1 for other in totals if other > total) for total in totals]


def compute_results(indicators: list, bands: list, scores: dict[Department, dict[str, Decimal]],
                    responses: dict[Department, str] | None = None) -> list[DepartmentResult]:
    """Every department's result, best first (ties in the plan's department order)."""
    responses = responses or {}
    departments = list(scores)
    totals = [total_of(scores[department], indicators) for department in departments]
    ranks = competition_ranks(totals)
    results = [
        DepartmentResult(department, scores[department], total, grade_of(total, bands), rank,
                         responses.get(department, ""))
        for department, total, rank in zip(departments, totals, ranks)
    ]
    return sorted(results, key=lambda result: (result.rank, result.department.position))


def lowest_band(bands: Iterable) -> str:
    return min(bands, key=lambda band: band.minimum).name
