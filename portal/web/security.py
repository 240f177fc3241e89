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

    # Built once: setting headers one by one cost a noticeable share of a page served from the cache.
    fixed = [
        ("X-Content-Type-Options", "nosniff"),  # browsers must not guess a file's type
        ("Referrer-Policy", "no-referrer"),  # a visitor's path is nobody else's business
        ("X-Frame-Options", "DENY"),  # frame-ancestors for older browsers
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if https:
        fixed.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    defaults = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),  # an attachment sets a stricter one
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ]

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        present = set(headers.keys())
        for name, value in fixed:
            if name in present:
                headers[name] = value
            else:
                headers.add(name, value)
        for name, value in defaults:
            if name not in present:
                headers.add(name, value)
        return response
