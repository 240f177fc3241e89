"""Public pages of the disclosure catalogue, its feed and its JSON mirror."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from portal.departments.services import list_departments
from portal.disclosures import KIND, services
from portal.publication import log as publication_log
from portal.publication.audit import findings_for
from portal.disclosures.models import Disclosure
from portal.files import file_store
from portal.files.store import INLINE_TYPES
from portal.web.errors import render_error
from portal.web.page_cache import page as cached_page

bp = Blueprint("disclosures", __name__)


def _per_page() -> int:
    return current_app.extensions["portal.settings"].page_size


@bp.get("/disclosures/")
@cached_page
def catalogue():
    try:
        query = services.CatalogueQuery.from_args(request.args)
    except services.BadCatalogueQuery as exc:
        return render_error(400, str(exc))
    departments = list_departments()
    return render_template(
        "disclosures/catalogue.html",
        query=query,
        page=services.list_disclosures(query, _per_page()),
        topics=services.catalogue_topics(query),
        years=services.catalogue_years(),
        departments=departments,
        department_names={d.slug: d.name for d in departments},
    )


@bp.get("/disclosures/guide")
@cached_page
def guide():
    """政府信息公开指南: how information is published, and how to ask for what is not."""
    return render_template("disclosures/guide.html")


@bp.get("/disclosures/<slug>")
@cached_page
def detail(slug: str):
    try:
        disclosure = services.get_disclosure(slug)
    except services.DisclosureNotFound:
        abort(404)
    if disclosure.is_withdrawn:
        # The address stays a promise: it says what was here, when and why it was withdrawn.
        return render_template("disclosures/withdrawn.html", disclosure=disclosure,
                               log_findings=findings_for(KIND, slug)), 410
    return render_template("disclosures/detail.html", disclosure=disclosure, log_findings=findings_for(KIND, slug))


@bp.get("/disclosures/<slug>/source.json")
@cached_page
def source(slug: str):
    """The bytes the publication log commits to for this disclosure (its record as canonical
    JSON): what a reader saves and checks with /log/'s verifier."""
    try:
        disclosure = services.get_disclosure(slug)
    except services.DisclosureNotFound:
        abort(404)
    response = Response(services.source_bytes(disclosure), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}.source.json"'
    return publication_log.name_entry(response, publication_log.entry_for(KIND, slug, disclosure.revision))


@bp.get("/disclosures/<slug>/files/<filename>")
def attachment(slug: str, filename: str):
    try:
        item = services.get_attachment(slug, filename)
    except services.DisclosureNotFound:
        abort(404)
    response = Response(file_store().read(item.sha256), mimetype=item.media_type)
    disposition = "inline" if item.media_type in INLINE_TYPES else "attachment"
    response.headers["Content-Disposition"] = _content_disposition(disposition, item.filename)
    # A published file is never a page of this site: no scripts, no plugins, even if opened.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; frame-ancestors 'none'"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback name, and the real (Chinese) name percent-encoded."""
    stem, _, extension = filename.rpartition(".")
    ascii_stem = "".join(ch for ch in stem if ch.isascii() and (ch.isalnum() or ch in "-_ ")).strip()
    fallback = f"{ascii_stem or 'attachment'}.{extension}"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


@bp.get("/disclosures.atom")
@cached_page
def feed():
    items = services.latest_disclosures(50)
    xml = render_template("disclosures/feed.atom.xml", items=items)
    return Response(xml, mimetype="application/atom+xml")


@bp.get("/api/v1/disclosures")
@cached_page
def api_list():
    try:
        query = services.CatalogueQuery.from_args(request.args)
    except services.BadCatalogueQuery as exc:
        return render_error(400, str(exc))
    page = services.list_disclosures(query, _per_page())
    return {
        "page": page.page,
        "pages": page.pages,
        "per_page": page.per_page,
        "total": page.total,
        "items": [_as_json(item) for item in page.items],
    }


@bp.get("/api/v1/disclosures/<slug>")
@cached_page
def api_detail(slug: str):
    try:
        disclosure = services.get_disclosure(slug)
    except services.DisclosureNotFound:
        abort(404)
    if disclosure.is_withdrawn:
        return {
            "error": {"status": 410, "title": "内容已撤回", "message": disclosure.withdrawal_reason},
            "slug": disclosure.slug, "title": disclosure.title,
            "withdrawn_on": disclosure.withdrawn_on.isoformat(), "withdrawal_reason": disclosure.withdrawal_reason,
            "revisions": _revisions_json(disclosure),
        }, 410
    return _as_json(disclosure, with_body=True)


def _revisions_json(disclosure: Disclosure) -> list[dict]:
    return [
        {"number": r.number, "action": r.action, "dated": r.dated.isoformat(), "reason": r.reason, "changes": r.changes}
        for r in disclosure.revisions
    ]


def _as_json(disclosure: Disclosure, with_body: bool = False) -> dict:
    data = {
        "slug": disclosure.slug,
        "url": url_for("disclosures.detail", slug=disclosure.slug, _external=True),
        "title": disclosure.title,
        "index_no": disclosure.index_no,
        "doc_no": disclosure.doc_no,
        "publisher": disclosure.publisher,
        "written_on": disclosure.written_on.isoformat() if disclosure.written_on else None,
        "published_on": disclosure.published_on.isoformat(),
        "topic": disclosure.topic,
        "disclosure_mode": disclosure.disclosure_mode,
        "disclosure_mode_label": disclosure.disclosure_mode_label,
        "validity": disclosure.validity,
        "validity_label": disclosure.validity_label,
        "departments": [{"slug": d.slug, "name": d.name} for d in disclosure.departments],
        "demo": disclosure.demo,
        "revision": disclosure.revision,
    }
    if with_body:
        data["revisions"] = _revisions_json(disclosure)
        data["body_markdown"] = disclosure.body
        data["attachments"] = [
            {
                "title": a.title,
                "filename": a.filename,
                "media_type": a.media_type,
                "size": a.size,
                "sha256": a.sha256,
                "url": url_for("disclosures.attachment", slug=disclosure.slug, filename=a.filename, _external=True),
            }
            for a in disclosure.attachments
        ]
    return data
