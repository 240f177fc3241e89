"""The request class: uploaded files stay in memory; no NUL byte gets past the door.

Werkzeug spools an upload larger than 500 KB to a temporary file on disk, in the clear. A report's
evidence must never touch the disk unencrypted, so every upload is kept in memory instead; the
memory is bounded by MAX_CONTENT_LENGTH, which refuses larger requests before they are read.
"""
from __future__ import annotations

import io

from flask import Request, request
from werkzeug.exceptions import BadRequest


class InMemoryUploadsRequest(Request):
    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        return io.BytesIO()


class NulInRequest(BadRequest):
    """A NUL byte in the path, the query or a form field. (An upload's file name is never used
    as given, so a NUL in one is cleaned with the rest of it and the report is kept.)"""

    description = "请求中含有无法处理的空字符（NUL），请检查地址或填写的内容后重试。"


def refuse_nul_bytes() -> None:
    """Run first for every request. PostgreSQL cannot store or compare a string with a NUL byte
    (the driver raises, which was a 500 with the SQL parameters in the log) and no page of the
    portal has a use for one, so a request carrying one is refused once here, with a 400,
    instead of by every query that might meet it."""
    values = [request.path, *request.args.keys(), *request.args.values()]
    if request.method in ("POST", "PUT", "PATCH"):
        values += [*request.form.keys(), *request.form.values()]
    if any("\x00" in value for value in values):
        raise NulInRequest()
