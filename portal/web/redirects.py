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
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(prefix) or target.startswith("//") or "\\" in target:
        return default
    return target
