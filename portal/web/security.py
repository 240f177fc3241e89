"""Headers every response carries (SECURITY.md, "Every page")."""
from __future__ import annotations

from flask import Flask, Response

# No inline script or style anywhere: the portal serves its own CSS and needs no JavaScript.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",  # no framing: defends against clickjacking
])


def init_security_headers(app: Flask) -> None:
    https = app.extensions["portal.settings"].https

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers["X-Content-Type-Options"] = "nosniff"  # browsers must not guess a file's type
        headers["Referrer-Policy"] = "no-referrer"  # a visitor's path is nobody else's business
        headers["X-Frame-Options"] = "DENY"  # frame-ancestors for older browsers
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if https:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response
