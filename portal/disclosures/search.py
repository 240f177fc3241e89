"""How disclosures appear in search: the search feature's adapter for this kind."""
from __future__ import annotations

from collections.abc import Iterable

from flask import url_for
from markupsafe import Markup

from portal.disclosures.models import Disclosure
from portal.disclosures.services import all_disclosures
from portal.search.documents import SearchDocument
from portal.web.markdown import render_markdown

KIND = "disclosure"


class DisclosureSearch:
    kind = KIND
    label = "政府信息公开"

    def documents(self) -> Iterable[SearchDocument]:
        return (search_document(disclosure) for disclosure in all_disclosures())

    def url(self, key: str, external: bool = False) -> str:
        return url_for("disclosures.detail", slug=key, _external=external)


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


def plain_text(markdown_text: str) -> str:
    """The words a reader sees, without Markdown or HTML syntax: what snippets are cut from."""
    html = str(render_markdown(markdown_text))
    for block_end in ("</p>", "</h2>", "</h3>", "</h4>", "</li>", "</td>", "</th>", "<br>"):
        html = html.replace(block_end, block_end + " ")
    # Markup only to strip the tags of already-sanitised HTML; the result is plain text (str).
    return Markup(html).striptags()  # nosec B704
