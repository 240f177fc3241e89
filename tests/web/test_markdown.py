"""Every piece of Markdown goes through one allow-list sanitiser."""
import pytest
from bs4 import BeautifulSoup

from portal.web.markdown import render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
    '<a href="https://ok.example" onmouseover="alert(1)" style="position:fixed">x</a>',
    "<style>body{display:none}</style>",
    "<form action=https://evil.example><input name=q></form>",
    "<object data=x></object><embed src=x>",
    '<div style="background:url(javascript:alert(1))">x</div>',
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_comes_out_inert(source):
    html = BeautifulSoup(str(render_markdown(source)), "html.parser")
    for tag in html.find_all(True):
        assert tag.name not in {"script", "img", "iframe", "svg", "style", "form", "input", "object", "embed"}
        assert not any(name.startswith("on") or name == "style" for name in tag.attrs)
        href = tag.get("href", "")
        assert href == "" or href.startswith(("http://", "https://", "mailto:"))


def test_safe_links_and_document_structure_survive():
    html = str(render_markdown("# 标题\n\n## 一、总体要求\n\n[平台](https://example.org) [信箱](mailto:a@example.org)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"))
    assert "<h2>标题</h2>" in html  # the page's h1 is the document title
    assert "<h2>一、总体要求</h2>" in html
    assert 'href="https://example.org"' in html and 'href="mailto:a@example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "<table>" in html and "<td>2</td>" in html
