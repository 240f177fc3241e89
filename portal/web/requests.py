"""The request class: uploaded files stay in memory.

Werkzeug spools an upload larger than 500 KB to a temporary file on disk, in the clear. A report's
evidence must never touch the disk unencrypted, so every upload is kept in memory instead; the
memory is bounded by MAX_CONTENT_LENGTH, which refuses larger requests before they are read.
"""
from __future__ import annotations

import io

from flask import Request


class InMemoryUploadsRequest(Request):
    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        return io.BytesIO()
