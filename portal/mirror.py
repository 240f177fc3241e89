"""`flask mirror build DIR`: every public page as a static file, for nginx to serve in a surge or
when no application host answers.

The mirror is crawled through the application itself (its test client: the same pages, headers
and bytes a visitor gets), starting from the home page, the sitemap, the site map, the feeds and
the APIs, following every internal link, plus the publication log's checkpoint and tiles. Each
answer is stored as `<path>/__body.<ext>` (and `<path>/__q/<query>/__body.<ext>` for a query
string), the extension saying its content type; deploy/nginx/portal-mirror.conf resolves a
request the same way (`resolve()` here is that rule, and the link check uses it). The pages that
need the application — search, the report and application forms and their status pages — are
replaced by a page saying they are temporarily unavailable, with the other channels.
"""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import click
from flask import Flask, current_app, render_template
from flask.cli import AppGroup

from portal import publication
from portal.publication import log, tlog

EXTENSIONS = {  # content type → the extension nginx maps back to it (deploy/nginx/mime-mirror.types)
    "text/html": "html", "application/json": "json", "application/xml": "xml", "text/xml": "xml",
    "application/atom+xml": "atom", "text/csv": "csv", "text/plain": "txt", "application/pdf": "pdf",
    "application/octet-stream": "bin", "text/x-python": "py", "image/png": "png", "image/jpeg": "jpg",
    "image/svg+xml": "svg", "text/css": "css", "text/javascript": "js", "application/javascript": "js",
    "image/x-icon": "ico", "image/vnd.microsoft.icon": "ico", "font/woff2": "woff2",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
ORDER = ("html", "json", "xml", "atom", "csv", "txt", "pdf", "bin", "py", "png", "jpg", "svg", "css", "js", "ico",
         "woff2", "docx", "xlsx")
# Pages that need the application: in the mirror, a page that says so and gives the other channels.
UNAVAILABLE = {
    "/search": "站内搜索", "/report/": "网上举报", "/report/follow-up": "举报进度查询",
    "/apply/": "网上申请政府信息公开", "/apply/status": "依申请公开进度查询",
}
NEVER = ("/admin", "/display")
INDEX = "__mirror.json"  # which file answers which address, and what was not mirrored  # the back office; the text-size switch sets a cookie
START = ("/", "/sitemap.xml", "/site-map", "/robots.txt", "/disclosures.atom", "/honor-roll.atom",
         "/api/v1/disclosures", "/api/v1/ratings", "/api/v1/honor-roll", "/api/v1/warnings", "/log/",
         "/log/checkpoint", "/log/verify_publication.py", "/privacy", "/disclosures/guide")


def storage_path(root: Path, path: str, query: str, extension: str) -> Path:
    folder = root / unquote(path).lstrip("/")
    if query:
        folder = folder / "__q" / query.replace("/", "%2F")
    return folder / f"__body.{extension}"


def resolve(root: Path, path: str, query: str = "") -> Path | None:
    """The file nginx serves for `path?query` (deploy/nginx/portal-mirror.conf's try_files)."""
    if path in UNAVAILABLE or path.rstrip("/") in UNAVAILABLE:
        query = ""  # any search, any form: the one "unavailable" page
    for extension in ORDER:
        candidate = storage_path(root, path, query, extension)
        if candidate.is_file():
            return candidate
    return None


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)
        if tag == "form":  # a GET form's action is a page too (the search box)
            action = dict(attrs).get("action")
            if action:
                self.links.append(action)


def internal_links(html: str, page: str, base_url: str) -> list[tuple[str, str]]:
    """(path, query) of every link on `page` that stays on the site."""
    parser = _Links()
    parser.feed(html)
    found = []
    for link in parser.links:
        absolute = urljoin(base_url + page, link)
        if not absolute.startswith(base_url + "/") and absolute != base_url:
            continue
        parts = urlsplit(absolute[len(base_url):] or "/")
        found.append((parts.path or "/", parts.query))
    return found


def _sitemap_links(xml: str, base_url: str) -> list[tuple[str, str]]:
    return [(urlsplit(loc).path, urlsplit(loc).query) for loc in re.findall(r"<loc>([^<]+)</loc>", xml)
            if loc.startswith(base_url)]


def tile_paths(size: int) -> list[str]:
    """Every tile (hashes and entry bundles) of a tree of `size` leaves, as the log serves them."""
    paths, level = [], 0
    while size // tlog.TILE_WIDTH ** level:
        count = size // tlog.TILE_WIDTH ** level
        full, partial = divmod(count, tlog.TILE_WIDTH)
        levels = [level, "entries"] if level == 0 else [level]
        for name in levels:
            paths += [f"/log/{tlog.tile_path(name, n)}" for n in range(full)]
            if partial:
                paths.append(f"/log/{tlog.tile_path(name, full, partial)}")
        level += 1
    return paths


@dataclasses.dataclass
class Built:
    pages: int = 0
    bytes: int = 0
    skipped: list[str] = dataclasses.field(default_factory=list)  # (status) path: not stored


def build(app: Flask, target: Path) -> Built:
    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    base_url = app.extensions["portal.settings"].public_base_url
    client = app.test_client()
    built = Built()
    with app.test_request_context("/", base_url=base_url):
        latest = log.latest_checkpoint()
        tiles = tile_paths(latest.size) if latest else []
        downloads = [urlsplit(address).path for kind in publication.kinds().values() for address in kind.downloads()]
    queue = deque((path, "") for path in dict.fromkeys((*START, *downloads, *tiles)))
    seen: set[tuple[str, str]] = set(queue)
    stored: dict[str, tuple[str, str]] = {}  # file → the address it answers
    while queue:
        path, query = queue.popleft()
        if path.startswith(NEVER) or path in UNAVAILABLE or path.rstrip("/") in UNAVAILABLE:
            continue
        # Addressed to the public host: the portal refuses any other (a forged Host header).
        response = client.get(path, query_string=query, base_url=base_url, headers={"Accept-Language": "zh-CN"})
        if response.status_code != 200:
            built.skipped.append(f"({response.status_code}) {path}{'?' + query if query else ''}")
            continue
        extension = EXTENSIONS.get(response.mimetype, "bin")
        destination = storage_path(target, path, query, extension)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(response.data)
        stored[destination.relative_to(target).as_posix()] = (path, query)
        built.pages += 1
        built.bytes += len(response.data)
        if extension in ("html", "xml"):
            text = response.get_data(as_text=True)
            links = internal_links(text, path, base_url) if extension == "html" else _sitemap_links(text, base_url)
            for link in links:
                if link not in seen:
                    seen.add(link)
                    queue.append(link)
    for path, what in UNAVAILABLE.items():
        with app.test_request_context(path, base_url=base_url):
            page = render_template("web/mirror_unavailable.html", what=what)
        destination = storage_path(target, path, "", "html")
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(page, encoding="utf-8")
        stored[destination.relative_to(target).as_posix()] = (path, "")
        built.pages += 1
    (target / INDEX).write_text(json.dumps({"files": stored, "skipped": built.skipped}, ensure_ascii=False))
    return built


def broken_links(root: Path, base_url: str) -> list[str]:
    """Every internal link in the mirror's HTML that the mirror cannot serve (empty: all resolve)."""
    broken = []
    files = json.loads((root / INDEX).read_text(encoding="utf-8"))["files"]
    for name, (path, _query) in sorted(files.items()):
        if not name.endswith("__body.html") or not (root / name).is_file():
            continue
        for link_path, query in internal_links((root / name).read_text(encoding="utf-8"), path, base_url):
            if link_path.startswith(NEVER):
                continue
            if resolve(root, link_path, query) is None:
                broken.append(f"{path} → {link_path}{'?' + query if query else ''}")
    return broken


mirror_cli = AppGroup("mirror", help="A static copy of the public site, for surges and outages.")


@mirror_cli.command("build")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
def build_command(target: Path) -> None:
    """Write every public page, feed, download and log tile into TARGET (replaced)."""
    built = build(current_app._get_current_object(), target)
    broken = broken_links(target, current_app.extensions["portal.settings"].public_base_url)
    click.echo(f"mirror: {built.pages} files, {built.bytes / 1e6:.1f} MB in {target}")
    for line in built.skipped:
        click.echo(f"not mirrored {line}")
    for line in broken:
        click.echo(f"broken link {line}", err=True)
    if broken:
        raise SystemExit(1)
