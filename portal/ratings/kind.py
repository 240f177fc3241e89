"""Rating editions and commendations as published kinds: what search indexes of them, their
addresses, their panels on the home page, a department's profile and the site map, and their
files in content/ (ratings/<edition>.yaml + .csv, honor-roll.yaml)."""
from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

from flask import url_for
from sqlalchemy import select

from portal.content.files import Problem
from portal.extensions import db
from portal.publication import PublishedKind
from portal.publication.content import ImportRun, Known
from portal.ratings import content, services
from portal.ratings import warnings as risk
from portal.ratings.models import Commendation, Edition
from portal.search.documents import SearchDocument
from portal.web.errors import RecordUnreadable
from portal.web.markdown import plain_text


class RatingContent:
    """content/ratings/<edition>.yaml with its score sheet <edition>.csv: one transaction each."""

    def check(self, content_dir: Path, known: Known) -> list[Problem]:
        _, problems = content.read_deliveries(content_dir, known.get("department", {}))
        return problems

    def import_into(self, content_dir: Path, run: ImportRun) -> Iterable[str]:
        deliveries, problems = content.read_deliveries(content_dir, run.known.get("department", {}))
        run.report.problems.extend(problems)
        return [delivery.spec.slug for delivery in deliveries if run.one_file(
            content_dir / content.RATINGS_DIR / f"{delivery.spec.slug}.yaml",
            lambda delivery=delivery: services.add_version(delivery, state="published"), roots=(Edition,))]

    def export(self, target: Path, store) -> int:
        return 0  # editions are delivered by the evaluator and kept as published; not exported


class HonorRollContent:
    """content/honor-roll.yaml: the whole roll, one transaction."""

    def check(self, content_dir: Path, known: Known) -> list[Problem]:
        _, problems = content.read_honor_roll(content_dir / content.HONOR_ROLL_FILE,
                                              set(known.get("department", {})), known.get("disclosure", set()))
        return problems

    def import_into(self, content_dir: Path, run: ImportRun) -> Iterable[str]:
        path = content_dir / content.HONOR_ROLL_FILE
        records, problems = content.read_honor_roll(path, set(run.known.get("department", {})),
                                                    run.known.get("disclosure", set()))
        run.report.problems.extend(problems)
        if records and run.one_file(path, lambda: content.upsert_commendations(records), roots=(Commendation,)):
            return [record.slug for record in records]
        return []

    def export(self, target: Path, store) -> int:
        return 0  # not exported yet (the roll is maintained in content/)


class RatingKind(PublishedKind):
    """An edition (its method), and each department's result in it. Key: "<edition>" or
    "<edition>/<department>"; an announcement names editions."""

    name = "rating"
    label = "诚信评价"
    home_order = 20
    profile_order = 20
    site_map_order = 20
    content = RatingContent()
    review = services.REVIEW
    review_queue = "admin.ratings_queue"

    def documents(self, keys: Collection[str] | None = None) -> Iterable[SearchDocument]:
        for version in services.published_versions_latest_first():
            slug, date = version.edition.slug, version.published_on
            if keys is not None and slug not in keys:
                continue
            yield SearchDocument(kind=self.name, key=slug, title=version.title, date=date,
                                 body=f"评价机构：{version.evaluator}。" + plain_text(version.methodology))
            for result in services.results(version):
                department = result.department
                yield SearchDocument(
                    kind=self.name, key=f"{slug}/{department.slug}", date=date,
                    title=f"{version.title}：{department.name}",
                    body=f"{department.name}总分 {result.total}，等级“{result.grade}”，排名第 {result.rank} 名。"
                         + (f"部门回应：{result.response}" if result.response else ""),
                    departments=((department.slug, department.name),),
                )

    def title(self, key: str) -> str | None:
        try:
            return services.get_version(key).title
        except services.EditionNotFound:
            return None

    def url(self, key: str, external: bool = False) -> str:
        edition, _, department = key.partition("/")
        if department:
            return url_for("ratings.department_result", edition=edition, department=department, _external=external)
        return url_for("ratings.edition", edition=edition, _external=external)

    def site_map_section(self):
        return "ratings/_site_map_section.html", {"editions": services.editions_latest_first()}

    def downloads(self) -> Iterable[str]:
        for edition in services.editions_latest_first():
            yield from (url_for("ratings.edition_csv", edition=edition.slug), url_for("ratings.edition_json", edition=edition.slug),
                        url_for("ratings.api_edition", edition=edition.slug))

    def home_section(self):
        """The home page's panel: the latest edition's grades and the newest commendations."""
        version = services.latest_version()
        commendations = services.list_commendations()[:3]
        if version is None and not commendations:
            return None
        return "ratings/_home_section.html", {
            "version": version, "results": services.results(version) if version else [],
            "altered": services.altered_versions([version] if version else []),
            "commendations": commendations, "warning_count": len(risk.warnings_for(version)) if version else 0,
        }

    def profile_section(self, department):
        """A department's profile: its history (chart and table), commendations and warnings."""
        history = services.department_history(department)
        section = {
            "history": history,
            "commendations": services.commendations_of(department),
            "risk_warnings": risk.warnings_of(department),
        }
        if not any(section.values()):
            return None
        section["altered"] = services.altered_versions(
            {version for version, _ in history} | {w.version for w in section["risk_warnings"]})
        return "ratings/_department_section.html", section

    def published_bytes(self):
        for edition in services.all_editions():
            for version in edition.published_versions:
                try:
                    data = services.csv_bytes(version)
                except RecordUnreadable as exc:  # the audit names it; the other versions are still checked
                    data = exc
                yield edition.slug, version.number, data, version.published_on


class WarningRulesKind(PublishedKind):
    """The risk-warning rules in force, as the publication log records them: not searchable,
    one item, first logged with the first rating; a new release of the rules is logged by the
    next `flask log verify` (which gunicorn runs at start-up)."""

    name = "warning_rules"
    label = "风险预警规则"
    searchable = False
    rules_from_code = True

    def url(self, key: str, external: bool = False) -> str:
        return url_for("ratings.warnings", _external=external)

    def title(self, key: str) -> str | None:
        return "风险预警规则"

    def sitemap(self):
        return ()

    def published_bytes(self):
        from portal.clock import today
        from portal.ratings.warnings import RULES_ITEM, rules_bytes

        if services.all_editions():
            yield RULES_ITEM, None, rules_bytes(), today()


class CommendationKind(PublishedKind):
    name = "commendation"
    label = "红榜"
    content = HonorRollContent()

    def documents(self, keys: Collection[str] | None = None) -> Iterable[SearchDocument]:
        for commendation in services.list_commendations():
            if keys is not None and commendation.slug not in keys:
                continue
            who = commendation.person_name or commendation.department.name
            yield SearchDocument(
                kind=self.name, key=commendation.slug, title=f"{commendation.title}：{who}",
                body=f"{commendation.reason}（{commendation.issuer}）", date=commendation.awarded_on,
                departments=((commendation.department.slug, commendation.department.name),),
            )

    def url(self, key: str, external: bool = False) -> str:
        return url_for("ratings.honor_roll", _anchor=key, _external=external)

    def title(self, key: str) -> str | None:
        commendation = db.session.scalar(select(Commendation).where(Commendation.slug == key))
        if commendation is None:
            return None
        return f"{commendation.title}：{commendation.person_name or commendation.department.name}"

    def published_bytes(self):
        for commendation in services.list_commendations():
            record = content.commendation_record(commendation)
            yield commendation.slug, None, content.commendation_bytes(record), commendation.awarded_on
