"""How ratings and the honor roll appear in search: the search feature's adapters for them."""
from __future__ import annotations

from collections.abc import Iterable

from flask import url_for

from portal.disclosures.search import plain_text
from portal.ratings import services
from portal.search.documents import SearchDocument


class RatingSearch:
    """An edition (its method), and each department's result in it."""

    kind = "rating"
    label = "诚信评价"

    def documents(self) -> Iterable[SearchDocument]:
        for version in services.published_versions_latest_first():
            slug, date = version.edition.slug, version.published_on
            yield SearchDocument(kind=self.kind, key=slug, title=version.title, date=date,
                                 body=f"评价机构：{version.evaluator}。" + plain_text(version.methodology))
            for result in services.results(version):
                department = result.department
                yield SearchDocument(
                    kind=self.kind, key=f"{slug}/{department.slug}", date=date,
                    title=f"{version.title}：{department.name}",
                    body=f"{department.name}总分 {result.total}，等级“{result.grade}”，排名第 {result.rank} 名。"
                         + (f"部门回应：{result.response}" if result.response else ""),
                    departments=((department.slug, department.name),),
                )

    def url(self, key: str, external: bool = False) -> str:
        edition, _, department = key.partition("/")
        if department:
            return url_for("ratings.department_result", edition=edition, department=department, _external=external)
        return url_for("ratings.edition", edition=edition, _external=external)


class CommendationSearch:
    kind = "commendation"
    label = "红榜"

    def documents(self) -> Iterable[SearchDocument]:
        for commendation in services.list_commendations():
            who = commendation.person_name or commendation.department.name
            yield SearchDocument(
                kind=self.kind, key=commendation.slug, title=f"{commendation.title}：{who}",
                body=f"{commendation.reason}（{commendation.issuer}）", date=commendation.awarded_on,
                departments=((commendation.department.slug, commendation.department.name),),
            )

    def url(self, key: str, external: bool = False) -> str:
        return url_for("ratings.honor_roll", _anchor=key, _external=external)
