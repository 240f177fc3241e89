"""Disclosures as a published kind: what search indexes of them, their addresses, their panels
on the home page, a department's profile and the site map, and content/disclosures/."""
from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

from flask import url_for
from sqlalchemy import select

from portal.content.files import Problem
from portal.disclosures.content import DISCLOSURES_DIR, disclosure_file, read_disclosures
from portal.disclosures import KIND, publishing, services
from portal.disclosures.models import Disclosure
from portal.extensions import db
from portal.publication import PublishedKind
from portal.publication.content import ImportRun, Known
from portal.search.documents import SearchDocument
from portal.web.markdown import plain_text

class DisclosureContent:
    """content/disclosures/**/*.md (Markdown with YAML front matter) and their attachments."""

    def check(self, content_dir: Path, known: Known) -> list[Problem]:
        valid, problems = read_disclosures(content_dir, known.get("department", {}))
        known["disclosure"] = {record.slug for _, record in valid} | set(services.all_slugs())
        return problems

    def import_into(self, content_dir: Path, run: ImportRun) -> Iterable[str]:
        valid, problems = read_disclosures(content_dir, run.known.get("department", {}))
        run.report.problems.extend(problems)
        changed = [record.slug for path, record in valid
                   if run.one_file(path, lambda record=record: services.upsert_disclosure(record, run.store),
                                   roots=(Disclosure,))]
        run.known["disclosure"] = set(services.all_slugs())
        return changed

    def export(self, target: Path, store) -> int:
        count = 0
        for disclosure in services.all_disclosures():
            record = services.disclosure_record(disclosure, store)
            path = target / DISCLOSURES_DIR / f"{record.slug}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            attachments = []
            for attachment in record.attachments:
                relative = Path("attachments") / record.slug / attachment.filename
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                (target / relative).write_bytes(attachment.source.read_bytes())
                attachments.append({"file": relative.as_posix(), "title": attachment.title})
            path.write_text(disclosure_file(record, attachments), encoding="utf-8")
            count += 1
        return count


class DisclosureKind(PublishedKind):
    name = KIND
    label = "政府信息公开"
    home_order = 10
    profile_order = 90  # after the department's ratings and commendations
    site_map_order = 10
    content = DisclosureContent()
    review = publishing.REVIEW
    review_queue = "admin.drafts"

    def documents(self, keys: Collection[str] | None = None) -> Iterable[SearchDocument]:
        if keys is None:
            disclosures = services.all_disclosures()
        else:  # only those on show: a withdrawn one is announced as removed
            disclosures = db.session.scalars(select(Disclosure).where(
                Disclosure.slug.in_(list(keys)), Disclosure.withdrawn_on.is_(None)))
        return (search_document(disclosure) for disclosure in disclosures)

    def url(self, key: str, external: bool = False) -> str:
        return url_for("disclosures.detail", slug=key, _external=external)

    def title(self, key: str) -> str | None:
        return db.session.scalar(select(Disclosure.title).where(Disclosure.slug == key))

    def published_bytes(self):
        for disclosure in db.session.scalars(select(Disclosure).order_by(Disclosure.id)):
            yield (disclosure.slug, disclosure.revision, services.source_bytes(disclosure),
                   disclosure.withdrawn_on or disclosure.revisions[-1].dated)

    def stored_files(self):
        for disclosure in services.all_disclosures():
            for attachment in disclosure.attachments:
                yield disclosure.slug, attachment.filename, attachment.sha256

    def home_section(self):
        return "disclosures/_home_section.html", {"latest": services.latest_disclosures(8)}

    def profile_section(self, department):
        return "disclosures/_profile_section.html", {
            "department": department,
            "disclosures": services.list_disclosures(services.CatalogueQuery(department=department.slug), per_page=10),
        }

    def site_map_section(self):
        return "disclosures/_site_map_section.html", {}


def search_document(disclosure: Disclosure) -> SearchDocument:
    # The 索引号 printed on every page, and the attachments' titles, are searchable too.
    extra = f"索引号：{disclosure.index_no}。"
    if disclosure.attachments:
        extra += "附件：" + "；".join(a.title for a in disclosure.attachments) + "。"
    return SearchDocument(
        kind=KIND,
        key=disclosure.slug,
        title=disclosure.title,
        body=plain_text(disclosure.body) + "\n" + extra,
        date=disclosure.published_on,
        doc_no=disclosure.doc_no or "",
        departments=tuple((d.slug, d.name) for d in disclosure.departments),
    )
