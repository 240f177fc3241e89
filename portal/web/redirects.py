"""Where a `next` parameter may send a browser: a path on this site, never another site.

One rule for every redirect target (the large-text switch, the login, the desk's unlock page):
control characters are refused with 400 (a newline in a Location header would otherwise end in
a 500, or worse, a split header); a target with a scheme, a host, a backslash or a leading //
is replaced by the default; so is one outside `prefix`.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from werkzeug.exceptions import BadRequest

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def local_target(target: str | None, default: str, prefix: str = "/") -> str:
    if not target:
        return default
    if _CONTROL.search(target):
        raise BadRequest("control characters in a redirect target")
    return target if is_site_path(target, prefix) else default


def is_site_path(target: str, prefix: str = "/") -> bool:
    """A path on this site under `prefix`: no scheme, no host, no leading // and no backslash
    (browsers read `/\\evil.example` as `//evil.example`). Also a template test: an address
    written by staff becomes a link only when it passes (`{% if link is site_path %}`)."""
    parts = urlsplit(target)
    return not (parts.scheme or parts.netloc or not target.startswith(prefix) or target.startswith("//")
                or "\\" in target or _CONTROL.search(target))
