"""Risk warnings (风险预警): departments flagged by documented rules computed from published
ratings, never typed by hand. Each warning says which rule fired and on what figures.

Rules (shown on /warnings/ as they are written here):
- lowest_band: the department's grade in an edition is that edition's lowest band;
- drop: its total fell by more than the edition's `drop_threshold` points (default 10) from the
  previous edition.
Later rules (e.g. overdue rectifications) join this list when those records exist.
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal

from portal.departments.models import Department
from portal.ratings import services
from portal.ratings.models import EditionVersion
from portal.ratings.scoring import lowest_band

RULES_ITEM = "rules"  # the one item of the publication log's "warning_rules" kind
RULES = {
    "lowest_band": ("评价等级处于最低档", "部门在某一期评价中的等级为该期等级划分中的最低一档。"),
    "drop": ("总分大幅下降", "部门总分比上一期下降超过该期设定的分数（默认 10 分）。"),
}


def rules_bytes() -> bytes:
    """What the publication log commits to for the warning rules in force: each rule as /warnings/
    states it. (Each edition's drop threshold is part of that edition's published data.)"""
    from portal.publication.log import canonical_json

    return canonical_json({"rules": {code: list(text) for code, text in RULES.items()}})


@dataclasses.dataclass(frozen=True)
class RiskWarning:
    department: Department
    version: EditionVersion
    rule: str
    figures: str  # the figures the rule fired on, in words

    @property
    def rule_label(self) -> str:
        return RULES[self.rule][0]


def warnings_for(version: EditionVersion) -> list[RiskWarning]:
    found = []
    lowest = lowest_band(version.bands)
    minimum_above = min((band.minimum for band in version.bands if band.name != lowest), default=None)
    previous = services.previous_version(version)
    previous_totals = ({r.department.id: r.total for r in services.results(previous)} if previous else {})
    for result in services.results(version):
        if result.grade == lowest:
            limit = f"（低于 {minimum_above} 分）" if minimum_above is not None else ""
            found.append(RiskWarning(result.department, version, "lowest_band",
                                     f"总分 {result.total}，等级“{result.grade}”{limit}"))
        before = previous_totals.get(result.department.id)
        if before is not None and before - result.total > Decimal(version.drop_threshold):
            found.append(RiskWarning(
                result.department, version, "drop",
                f"总分由 {before}（{previous.title}）降至 {result.total}，下降 {before - result.total} 分，"
                f"超过 {version.drop_threshold} 分",
            ))
    return found


def current_warnings() -> list[RiskWarning]:
    """Warnings of the latest edition."""
    latest = services.latest_version()
    return warnings_for(latest) if latest else []


def all_warnings() -> list[RiskWarning]:
    """Warnings of every published edition, the latest first."""
    return [warning for version in services.published_versions_latest_first() for warning in warnings_for(version)]


def warnings_of(department: Department) -> list[RiskWarning]:
    return [warning for warning in all_warnings() if warning.department.id == department.id]
