"""An optional proof of work for the report form.

A browser with JavaScript finds a nonce such that SHA-256(challenge ":" nonce) starts with BITS
zero bits (a second or two) before the form is sent; such a submission counts against a looser
rate limit. A browser without JavaScript sends no nonce and gets the normal limit: the proof is
never required. Challenges are signed (no server state until used) and good once.

A challenge carries the day it was issued and nothing finer (it comes back with the report, and
its "spent" mark sits in the limiter's storage): it is good on that day and the next, and the
mark's lifetime ends at a midnight, so neither dates a submission within its day.
"""
from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from portal import clock

BITS = 14


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="report-proof-of-work-daily")


def new_challenge() -> str:
    return _serializer().dumps([secrets.token_hex(8), clock.window_index(clock.DAY_SECONDS)])


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte:
            return bits + 8 - byte.bit_length()
        bits += 8
    return bits


def solve(challenge: str) -> str:
    """What the browser's script does (used by tests and as the reference)."""
    nonce = 0
    while leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) < BITS:
        nonce += 1
    return str(nonce)


def is_proven(challenge: str, nonce: str) -> bool:
    """A valid, fresh, solved and not yet used challenge."""
    if not challenge or not nonce or len(challenge) > 200 or not nonce.isascii() or not nonce.isdigit() or len(nonce) > 12:
        return False
    try:
        _nonce, day = _serializer().loads(challenge)
    except (BadSignature, ValueError, TypeError):
        return False
    today = clock.window_index(clock.DAY_SECONDS)
    if day not in (today, today - 1):
        return False
    if leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) < BITS:
        return False
    from portal.extensions import limiter

    # Good once: the limiter's own storage (memory or Redis) remembers spent challenges until
    # the midnight after which they are refused anyway.
    key = "report-pow-spent/" + hashlib.sha256(challenge.encode()).hexdigest()
    lifetime = clock.seconds_left_in_window(clock.DAY_SECONDS) + (clock.DAY_SECONDS if day == today else 0)
    return limiter.storage.incr(key, lifetime) == 1
