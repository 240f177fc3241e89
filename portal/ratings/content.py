"""Ratings and the honor roll in content/ (the contract is content/README.md):

    content/ratings/<edition>.yaml   the edition: period, evaluator, method, indicators, bands
    content/ratings/<edition>.csv    its score sheet: 部门, one column per indicator, 部门回应
    content/honor-roll.yaml          commendations, each linked to its source disclosure

`flask content import` publishes them like disclosures: content/ is the reviewed format. Each
edition is one transaction; a file with any problem is reported and nothing of it is written.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from portal.content.fields import Field, FieldError, bool_field, date_field, parse_mapping, slug_field, text_field
from portal.content.files import Problem, read_yaml
from portal.departments.models import Department
from portal.disclosures.models import Disclosure
from portal.extensions import db
from portal.publication import log as publication_log
from portal.publication.log import canonical_json
from portal.ratings import services
from portal.ratings.importer import read_edition, read_scores
from portal.ratings.models import Commendation

RATINGS_DIR = "ratings"
HONOR_ROLL_FILE = "honor-roll.yaml"
COMMENDATION_KINDS = {"集体": "department", "个人": "person"}


def read_deliveries(content_dir: Path, departments: dict[str, str]) -> tuple[list[services.Delivery], list[Problem]]:
    deliveries, problems = [], []
    for edition_path in sorted((content_dir / RATINGS_DIR).glob("*.yaml")):
        sheet_path = edition_path.with_suffix(".csv")
        spec, edition_problems = read_edition(edition_path)
        if not sheet_path.exists():
            edition_problems.append(Problem(edition_path, 1, f"缺少评分表 {sheet_path.name}"))
        if spec is not None and spec.slug != edition_path.stem:
            edition_problems.append(Problem(edition_path, 1, f"slug {spec.slug!r} 应与文件名 {edition_path.stem!r} 一致"))
        if edition_problems:
            problems.extend(edition_problems)
            continue
        sheet, sheet_problems = read_scores(sheet_path, spec, departments)
        if sheet_problems:
            problems.extend(sheet_problems)
            continue
        deliveries.append(services.Delivery(spec, sheet))
    return deliveries, problems


@dataclasses.dataclass(frozen=True)
class CommendationRecord:
    slug: str
    kind: str
    department: str
    title: str
    reason: str
    awarded_on: dt.date
    issuer: str
    source: str
    person_name: str | None = None
    demo: bool = False


def _kind(value: Any) -> str:
    if value not in COMMENDATION_KINDS:
        raise FieldError(f"应为 {' / '.join(COMMENDATION_KINDS)} 之一 (got {value!r})")
    return COMMENDATION_KINDS[value]



COMMENDATION_FIELDS = {
    "slug": Field(slug_field),
    "kind": Field(_kind),
    "department": Field(slug_field),
    "person_name": Field(text_field(40), required=False),
    "title": Field(text_field(200)),
    "reason": Field(text_field(2000)),
    "awarded_on": Field(date_field),
    "issuer": Field(text_field(100)),
    "source": Field(slug_field),
    "demo": Field(bool_field, required=False),
}


def read_honor_roll(path: Path, departments: set[str], disclosures: set[str]) -> tuple[list[CommendationRecord], list[Problem]]:
    if not path.exists():
        return [], []
    problems: list[Problem] = []
    node, data = read_yaml(path, problems)
    if node is None:
        return [], problems
    if not isinstance(node, yaml.SequenceNode):
        return [], [Problem(path, 1, "应为表彰列表 (expected a list of commendations)")]
    records, seen = [], set()
    for item_node, item in zip(node.value, data):
        line = item_node.start_mark.line + 1
        if not isinstance(item_node, yaml.MappingNode):
            problems.append(Problem(path, line, "每项应为键值对"))
            continue
        before = len(problems)
        values = parse_mapping(item_node, item, COMMENDATION_FIELDS, path, 1, problems)
        if values.get("department") and values["department"] not in departments:
            problems.append(Problem(path, line, f"未知部门 {values['department']!r}"))
        if values.get("source") and values["source"] not in disclosures:
            problems.append(Problem(path, line, f"来源文件 {values['source']!r} 不是已发布的公开信息"))
        if values.get("kind") == "person" and not values.get("person_name"):
            problems.append(Problem(path, line, "个人表彰须写明 person_name（以来源文件公布的姓名为准）"))
        if values.get("kind") == "department" and values.get("person_name"):
            problems.append(Problem(path, line, "集体表彰不应有 person_name"))
        if values.get("slug") in seen:
            problems.append(Problem(path, line, f"slug {values['slug']!r} 重复"))
        seen.add(values.get("slug"))
        if len(problems) == before:
            records.append(CommendationRecord(**values))
    return (records, []) if not problems else ([], problems)


def upsert_commendations(records: list[CommendationRecord]) -> bool:
    """Write the honor roll as the file says (the caller commits); return whether it changed."""
    changed = False
    departments = {d.slug: d for d in db.session.scalars(select(Department))}
    sources = {d.slug: d for d in db.session.scalars(select(Disclosure))}
    existing = {c.slug: c for c in db.session.scalars(select(Commendation))}
    for record in records:
        commendation = existing.get(record.slug) or Commendation(slug=record.slug)
        values = {
            "kind": record.kind, "department_id": departments[record.department].id, "person_name": record.person_name,
            "title": record.title, "reason": record.reason, "awarded_on": record.awarded_on, "issuer": record.issuer,
            "source_id": sources[record.source].id, "demo": record.demo,
        }
        for name, value in values.items():
            if getattr(commendation, name) != value:
                setattr(commendation, name, value)
                changed = True
        if record.slug not in existing:
            db.session.add(commendation)
            changed = True
    db.session.flush()
    for record in records:  # the publication log's leaves (nothing for an unchanged commendation)
        publication_log.record("commendation", record.slug, commendation_bytes(record), record.awarded_on)
    return changed


def commendation_record(commendation: Commendation) -> CommendationRecord:
    """A published commendation as its content record (what the log hashes)."""
    return CommendationRecord(
        slug=commendation.slug, kind=commendation.kind, department=commendation.department.slug,
        title=commendation.title, reason=commendation.reason, awarded_on=commendation.awarded_on,
        issuer=commendation.issuer, source=commendation.source.slug, person_name=commendation.person_name,
        demo=commendation.demo,
    )


def commendation_bytes(record: CommendationRecord) -> bytes:
    """What the publication log commits to for a commendation: its record as canonical JSON."""
    return canonical_json({
        "slug": record.slug, "kind": record.kind, "department": record.department, "person_name": record.person_name,
        "title": record.title, "reason": record.reason, "awarded_on": record.awarded_on.isoformat(),
        "issuer": record.issuer, "source": record.source, "demo": record.demo,
    })
