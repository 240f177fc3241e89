"""Public pages of the integrity ratings, the honor roll and the risk warnings, with their data."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from portal.publication import log as publication_log
from portal.publication.audit import findings_for, findings_of_kind
from portal.ratings import services
from portal.ratings import warnings as risk
from portal.ratings.models import EditionVersion
from portal.ratings.scoring import DepartmentResult
from portal.web.errors import render_error
from portal.web.page_cache import page as cached_page

bp = Blueprint("ratings", __name__)

SORTS = {"rank", "department", "total"}


def _version_or_404(edition: str, number: int | None = None) -> EditionVersion:
    try:
        return services.get_version(edition, number)
    except services.EditionNotFound:
        abort(404)


def _sorted(version: EditionVersion, rows: list[DepartmentResult]) -> tuple[list[DepartmentResult], str, str]:
    """The table's order, from GET parameters so it works without JavaScript."""
    sort = request.args.get("sort", "rank")
    order = "desc" if request.args.get("order") == "desc" else "asc"
    codes = {indicator.code for indicator in version.indicators}
    if sort not in SORTS | codes:
        sort = "rank"
    if sort == "department":
        key = lambda row: row.department.position  # noqa: E731
    elif sort == "total":
        key = lambda row: row.total  # noqa: E731
    elif sort in codes:
        key = lambda row: row.scores[sort]  # noqa: E731
    else:
        key = lambda row: (row.rank, row.department.position)  # noqa: E731
    return sorted(rows, key=key, reverse=order == "desc"), sort, order


def _edition_page(version: EditionVersion, latest: bool = False):
    rows, sort, order = _sorted(version, services.results(version))
    return render_template(
        "ratings/edition.html", version=version, rows=rows, sort=sort, order=order, latest=latest,
        csv_sha256=version.checksum, integrity=services.integrity(version),
        json_sha256=services.sha256(services.json_bytes(version)),
        warnings=risk.warnings_for(version), changes=services.comparability_changes(version),
        is_current=version.edition.current.id == version.id,
        newest=services.latest_version(), previous=services.previous_version(version),
        log_findings=findings_for("rating", version.edition.slug),
    )


@bp.get("/ratings/editions")
@cached_page
def editions():
    """Every edition and every published version, with dates and checksums: where a journalist
    starts when checking a rating or its history."""
    return render_template("ratings/editions.html", editions=services.editions_latest_first())


@bp.get("/ratings/")
@cached_page
def latest():
    version = services.latest_version()
    if version is None:
        return render_template("ratings/none.html")
    return _edition_page(version, latest=True)


@bp.get("/ratings/<edition>/")
@cached_page
def edition(edition: str):
    return _edition_page(_version_or_404(edition))


@bp.get("/ratings/<edition>/v<int:number>/")
@cached_page
def edition_version(edition: str, number: int):
    return _edition_page(_version_or_404(edition, number))


@bp.get("/ratings/<edition>/<department>")
@cached_page
def department_result(edition: str, department: str):
    version = _version_or_404(edition)
    try:
        result = services.department_result(version, department)
    except services.EditionNotFound:
        abort(404)
    return render_template("ratings/department.html", version=version, result=result,
                           integrity=services.integrity(version),
                           warnings=[w for w in risk.warnings_for(version) if w.department.slug == department])


def _download(data: bytes, mimetype: str, filename: str, version: EditionVersion) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The file is the figures as stored now: whether they still match the checksum recorded at
    # publication travels with it (the JSON also says so inside).
    response.headers["X-Rating-Integrity"] = services.integrity(version)
    return publication_log.name_entry(response, publication_log.entry_for("rating", version.edition.slug, version.number))


@bp.get("/ratings/<edition>.csv")
@cached_page
def edition_csv(edition: str):
    version = _version_or_404(edition)
    return _download(services.csv_bytes(version), "text/csv", f"integrity-ratings-{edition}-v{version.number}.csv",
                     version)


@bp.get("/ratings/<edition>.json")
@cached_page
def edition_json(edition: str):
    version = _version_or_404(edition)
    return _download(services.json_bytes(version), "application/json",
                     f"integrity-ratings-{edition}-v{version.number}.json", version)


@bp.get("/ratings/<edition>/v<int:number>.csv")
@cached_page
def version_csv(edition: str, number: int):
    version = _version_or_404(edition, number)
    return _download(services.csv_bytes(version), "text/csv", f"integrity-ratings-{edition}-v{number}.csv", version)


@bp.get("/ratings/<edition>/v<int:number>.json")
@cached_page
def version_json(edition: str, number: int):
    version = _version_or_404(edition, number)
    return _download(services.json_bytes(version), "application/json", f"integrity-ratings-{edition}-v{number}.json",
                     version)


@bp.get("/api/v1/ratings")
@cached_page
def api_editions():
    return {"editions": [
        {"edition": v.edition.slug, "version": v.number, "title": v.title,
         "period": [v.period_start.isoformat(), v.period_end.isoformat()],
         "published_on": v.published_on.isoformat(), "demo": v.edition.demo,
         "integrity": services.integrity(v)}
        for v in services.published_versions_latest_first()
    ]}


@bp.get("/api/v1/ratings/<edition>")
@cached_page
def api_edition(edition: str):
    return services.json_data(_version_or_404(edition))


@bp.get("/honor-roll/")
@cached_page
def honor_roll():
    raw = request.args.get("year", "")
    if raw and not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        return render_error(400, "年份应为四位数字。")
    year = int(raw) if raw else None
    return render_template("ratings/honor_roll.html", commendations=services.list_commendations(year),
                           years=services.commendation_years(), year=year,
                           log_findings=findings_of_kind("commendation"))


@bp.get("/honor-roll.atom")
@cached_page
def honor_roll_feed():
    xml = render_template("ratings/honor_roll.atom.xml", commendations=services.list_commendations()[:50])
    return Response(xml, mimetype="application/atom+xml")


@bp.get("/api/v1/honor-roll")
@cached_page
def api_honor_roll():
    return {"commendations": [
        {"slug": c.slug, "kind": c.kind, "department": c.department.slug, "person_name": c.person_name,
         "title": c.title, "reason": c.reason, "awarded_on": c.awarded_on.isoformat(), "issuer": c.issuer,
         "source": c.source.slug, "demo": c.demo}
        for c in services.list_commendations()
    ]}


@bp.get("/warnings/")
@cached_page
def warnings():
    history = risk.all_warnings()
    return render_template("ratings/warnings.html", current=risk.current_warnings(),
                           history=history, rules=risk.RULES, latest=services.latest_version(),
                           altered=services.altered_versions({w.version for w in history} | {v for v in [services.latest_version()] if v}))


@bp.get("/api/v1/warnings")
@cached_page
def api_warnings():
    return {"rules": {code: {"name": name, "description": text} for code, (name, text) in risk.RULES.items()},
            "warnings": [
                {"department": w.department.slug, "edition": w.version.edition.slug, "rule": w.rule,
                 "figures": w.figures, "integrity": services.integrity(w.version)}
                for w in risk.all_warnings()
            ]}
