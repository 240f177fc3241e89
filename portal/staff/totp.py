"""Time-based one-time codes (RFC 6238) for the mandatory second factor, and their QR code."""
from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pyotp
import segno
from flask import current_app
from markupsafe import Markup
from nacl.secret import SecretBox

ISSUER = "梅州市应急管理局政务诚信公开平台"
STEP_SECONDS = 30
# Codes from the step before and after are accepted too: phones' clocks drift.
ALLOWED_DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits from `secrets`


# The purpose the sealing key is derived for: its own, so no other sealed value opens with it.
SEAL_PURPOSE = b"staff-totp-secret"


def _box() -> SecretBox:
    """The key that seals authenticator secrets, derived from RECEIPT_PEPPER, which is kept out
    of the database and its backups: a dump (even with SECRET_KEY) cannot compute a code."""
    pepper = current_app.extensions["portal.settings"].receipt_pepper
    return SecretBox(hmac.new(pepper.encode(), SEAL_PURPOSE, hashlib.sha256).digest())


def seal_secret(secret: str) -> str:
    return base64.b64encode(_box().encrypt(secret.encode())).decode()


def open_secret(sealed: str) -> str:
    return _box().decrypt(base64.b64decode(sealed)).decode()


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """The step `code` belongs to, if it is valid now and newer than the last accepted one.

    Returning the step lets the caller remember it, so the same code can never be used twice."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    step_now = current_step(now)
    for step in range(step_now - ALLOWED_DRIFT_STEPS, step_now + ALLOWED_DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue  # used already, or older than a code that was used: a replay
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> Markup:
    """The QR code as inline SVG drawn here: the secret never leaves the portal."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff", title="两步验证二维码")
    # Markup is right here: segno writes the SVG and escapes the URI and title it puts in it.
    return Markup(svg)  # nosec B704
