"""Markdown → safe HTML: the one sanitiser every page uses for text it did not write itself."""
from __future__ import annotations

import functools

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
}
# Anything else (javascript:, data:, vbscript:) is dropped from links.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["tables", "sane_lists", "smarty"]


@functools.lru_cache(maxsize=512)
def render_markdown(text: str) -> Markup:
    """Render Markdown and sanitise the result with an allow-list.

    Raw HTML in the source is not trusted: nh3 keeps only the tags and attributes above, drops
    event handlers and styles, and strips <script>/<style> together with their content. The
    document's own h1 is the page title, so Markdown headings start at h2.
    """
    html = md.markdown(text, extensions=EXTENSIONS, output_format="html")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # Markup is the point of this function: `clean` is nh3's output, allow-listed tags only.
    return Markup(clean)  # nosec B704


def plain_text(markdown_text: str) -> str:
    """The words a reader sees, without Markdown or HTML syntax: what search snippets are cut from."""
    html = str(render_markdown(markdown_text))
    for block_end in ("</p>", "</h2>", "</h3>", "</h4>", "</li>", "</td>", "</th>", "<br>"):
        html = html.replace(block_end, block_end + " ")
    # Markup only to strip the tags of already-sanitised HTML; the result is plain text (str).
    return Markup(html).striptags()  # nosec B704
