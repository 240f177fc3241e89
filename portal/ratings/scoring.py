"""Totals, grades and ranks, computed from the scores of one edition version. Never typed by hand.

The rating method is versioned: each published edition version records the method it was
published with (EditionVersion.method), and its results are always computed with that method,
so a later change of formula never changes a past edition's ranks, warnings or checksum. A new
formula is a new Method in METHODS and becomes CURRENT_METHOD for what is published from then on.

weighted_sum_v1 (the plan's method since the first edition):
    total = Σ score ÷ maximum × weight   (weights add up to 100, so totals run from 0 to 100)
    grade = the first band, from the highest, whose minimum the total reaches
    rank  = 1 + the number of departments with a higher total (ties share a rank: 1, 2, 2, 4)
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal

from portal.departments.models import Department
from portal.web.errors import RecordUnreadable

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
    method: Method | None = dataclasses.field(default=None, compare=False, repr=False)

    def weighted(self, indicator) -> Decimal:
        """The points an indicator contributes to the total, by the edition's method."""
        return (self.method or WEIGHTED_SUM_V1).contribution(self.scores[indicator.code], indicator)


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


@dataclasses.dataclass(frozen=True)
class Method:
    """One way of turning scores into totals, grades and ranks; never changed once used."""

    code: str  # stored with each published version, e.g. "weighted_sum_v1"
    description: str  # 计算方法, as the edition's page prints it
    contribution: Callable[[Decimal, object], Decimal]  # an indicator's points in the total
    total: Callable[[dict[str, Decimal], list], Decimal]
    grade: Callable[[Decimal, list], str]
    ranks: Callable[[list[Decimal]], list[int]]


WEIGHTED_SUM_V1 = Method(
    code="weighted_sum_v1",
    description="总分 = Σ（指标得分 ÷ 指标满分 × 指标权重），各指标权重之和为 100，总分保留两位小数。"
                "等级按下表的分数线确定；排名按总分从高到低，总分相同者名次相同。"
                "总分、等级和排名均由平台根据分数计算，不由人工填写。",
    contribution=weighted_points, total=total_of, grade=grade_of, ranks=competition_ranks,
)
METHODS: dict[str, Method] = {method.code: method for method in (WEIGHTED_SUM_V1,)}
CURRENT_METHOD = WEIGHTED_SUM_V1.code  # what a version published now records


class UnknownMethod(RecordUnreadable, LookupError):
    """A version records a method this portal does not know: only the portal writes the field,
    so the database was changed outside it."""


def method(code: str) -> Method:
    try:
        return METHODS[code]
    except KeyError:
        raise UnknownMethod(f"rating method {code!r} is not known to this portal") from None


def compute_results(method_code: str, indicators: list, bands: list, scores: dict[Department, dict[str, Decimal]],
                    responses: dict[Department, str] | None = None) -> list[DepartmentResult]:
    """Every department's result by the method `method_code`, best first (ties in the plan's
    department order)."""
    rule = method(method_code)
    responses = responses or {}
    departments = list(scores)
    totals = [rule.total(scores[department], indicators) for department in departments]
    ranks = rule.ranks(totals)
    results = [
        DepartmentResult(department, scores[department], total, rule.grade(total, bands), rank,
                         responses.get(department, ""), rule)
        for department, total, rank in zip(departments, totals, ranks)
    ]
    return sorted(results, key=lambda result: (result.rank, result.department.position))


def lowest_band(bands: Iterable) -> str:
    return min(bands, key=lambda band: band.minimum).name
