"""Receipt codes (回执码): the reporter's only key back in.

A code is 24 characters of Crockford's base32 (120 bits from `secrets`), shown in six groups of
four. Typing is forgiving: case, spaces, hyphens and the look-alikes O/I/L are accepted.
"""
from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 24  # × 5 bits = 120 bits
GROUP = 4
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str | None:
    """The code in canonical form, or None when it cannot be a code at all."""
    if len(typed) > 100:
        return None
    code = "".join(ch for ch in typed.upper() if ch not in " -\t\r\n\u3000").translate(_LOOKALIKES)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def grouped(code: str) -> list[str]:
    return [code[i:i + GROUP] for i in range(0, len(code), GROUP)]
