"""Flask's signed-cookie sessions, opened only when the browser sent a session cookie.

Most visitors of a public page have no session at all; Flask would still build a signing
serializer for each of their requests (about a tenth of a millisecond, a sizeable share of a
page served from the cache). An empty session is what they would get anyway.
"""
from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieOnDemandSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.get_cookie_name(app) not in request.cookies and app.secret_key:
            return self.session_class()
        return super().open_session(app, request)
