"""Small readers of submitted back-office forms, shared by the areas' views."""
from __future__ import annotations

from flask import request


def submitted_version() -> int:
    """The `version` a form was rendered with (for optimistic concurrency), or -1 if unusable."""
    raw = request.form.get("version", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else -1
