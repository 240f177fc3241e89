"""/search and its JSON mirror /api/v1/search."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from flask import Blueprint, current_app, render_template, request

from portal import search
from portal.departments.services import list_departments
from portal.extensions import limiter
from portal.ratelimit import hashed_client
from portal.search.analysis import highlight
from portal.search.engine import SearchRequest, SearchResults, SearchUnavailable
from portal.search.shortcuts import shortcuts_for
from portal.web.errors import render_error
from portal.web.page_cache import page as cached_page

bp = Blueprint("search", __name__)

MAX_QUERY_CHARS = 200
MAX_PAGE = 1000
PER_PAGE = 10
# A person searching, refining and paging does a few searches a minute; four clients sending
# a new costly query each time made every page 27 times slower. Answers from the page cache
# count too (they are cheap, and a flood of them is still a flood).
SEARCHES_PER_CLIENT = "30 per minute"


def _search_client() -> str:
    # Keyed apart from the daily limits (portal.ratelimit): a minute's counter names no reporter.
    return hashed_client(limiter.storage, purpose="search")



class BadSearch(ValueError):
    pass


def parse_search_args(args: Mapping[str, str]) -> SearchRequest:
    """Read /search's GET parameters; raise BadSearch with a message for the visitor."""
    text = (args.get("q") or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise BadSearch(f"搜索词过长，请缩短到 {MAX_QUERY_CHARS} 个字以内。")
    values = {}
    for name in ("kind", "department", "year"):
        value = (args.get(name) or "").strip()
        if len(value) > 80:
            raise BadSearch("筛选参数过长。")
        values[name] = value or None
    if values["year"] and not (values["year"].isascii() and values["year"].isdigit() and len(values["year"]) == 4):
        raise BadSearch("年份应为四位数字。")
    page_text = (args.get("page") or "1").strip()
    if not (page_text.isascii() and page_text.isdigit() and 1 <= int(page_text) <= MAX_PAGE):
        raise BadSearch(f"页码应为 1 到 {MAX_PAGE} 之间的整数。")
    sort = "date" if args.get("sort") == "date" else "relevance"
    return SearchRequest(text=text, sort=sort, page=int(page_text), per_page=PER_PAGE,
                         max_words=current_app.extensions["portal.settings"].search_max_words, **values)


def _search(args) -> tuple[SearchRequest | None, SearchResults | None, tuple[int, str] | None]:
    try:
        search_request = parse_search_args(args)
    except BadSearch as exc:
        return None, None, (400, str(exc))
    if not search_request.text:
        return search_request, None, None
    try:
        return search_request, search.run_search(search_request), None
    except SearchUnavailable as exc:
        current_app.logger.error("search unavailable: %s", exc)
        return search_request, None, (503, "搜索服务暂时不可用，请稍后再试。其他页面不受影响，您可以先浏览政府信息公开目录。")


def _present(found: SearchResults, external: bool = False) -> list[dict]:
    """Each hit as the page and the API show it: highlighted title and snippet, its address."""
    adapters = search.searchable_kinds()
    terms = found.parsed.highlight_terms()
    presented = []
    for hit in found.hits:
        adapter = adapters.get(hit.kind)
        presented.append({
            "kind": hit.kind,
            "kind_label": adapter.label if adapter else hit.kind,
            "key": hit.key,
            "title": hit.title,
            "title_html": highlight(hit.title, terms, width=None),
            "doc_no": hit.doc_no or None,
            "date": hit.date,
            "departments": list(hit.departments),
            "url": adapter.url(hit.key, external=external) if adapter else None,
            "snippet_html": highlight(hit.body, terms),
        })
    return presented


@bp.get("/search")
@limiter.limit(SEARCHES_PER_CLIENT, key_func=_search_client)
@cached_page
def results():
    search_request, found, error = _search(request.args)
    if error and error[0] == 400:
        return render_error(*error)
    page = render_template(
        "search/results.html",
        search_request=search_request,
        results=found,
        hits=_present(found) if found else [],
        shortcuts=shortcuts_for(search_request.text) if search_request else [],
        unavailable=error[1] if error else None,
        kind_labels={kind: published.label for kind, published in search.searchable_kinds().items()},
        department_names={d.slug: d.name for d in list_departments()},
        args_with=lambda **changes: _args_with(search_request, **changes),
    )
    return page, (error[0] if error else 200)


def _args_with(search_request: SearchRequest, **changes) -> dict:
    """GET parameters for the same search with some changed (None removes one)."""
    values = {"q": search_request.text, "kind": search_request.kind, "department": search_request.department,
              "year": search_request.year, "sort": search_request.sort, "page": search_request.page}
    values.update(changes)
    if values["sort"] == "relevance":
        values["sort"] = None
    if values["page"] == 1:
        values["page"] = None
    return {key: value for key, value in values.items() if value is not None}


@bp.get("/api/v1/search")
@limiter.limit(SEARCHES_PER_CLIENT, key_func=_search_client)
@cached_page
def api():
    search_request, found, error = _search(request.args)
    if error:
        return render_error(*error)
    if found is None:
        return render_error(400, "请提供搜索词 q。")
    return {
        "query": dataclasses.asdict(search_request),
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "facets": found.facets,
        "suggestions": found.suggestions,
        "partial": found.partial,
        "words_left_out": found.parsed.dropped,
        "shortcuts": shortcuts_for(search_request.text),
        "results": [
            {**item, "date": item["date"].isoformat(), "title_html": str(item["title_html"]),
             "snippet_html": str(item["snippet_html"])}
            for item in _present(found, external=True)
        ],
    }
