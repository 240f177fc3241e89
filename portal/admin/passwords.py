"""Staff passwords: Argon2id hashes and the length-only policy of SECURITY.md.

No composition rules (NIST SP 800-63B, OWASP ASVS 6.2): at least 12 characters, at most 128,
not a commonly used password and not the user name.
"""
from __future__ import annotations

import functools
import gzip
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 128
# Django's list of 20,000 common passwords (BSD licence; from Royce Williams' compilation).
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"

# Argon2id with RFC 9106's low-memory profile (64 MiB, t=3, p=4).
DEPLOYED_HASHER = PasswordHasher()
_hasher = DEPLOYED_HASHER
# Verified when the user name is unknown, so that an unknown name costs as much as a known one.
_DUMMY_HASH = _hasher.hash("not a real password, used to keep timings equal")


class PasswordRefused(ValueError):
    """The password does not meet the policy; the message says why, in Chinese."""


def check_policy(password: str, username: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRefused(f"密码至少需要 {MIN_LENGTH} 个字符。")
    if len(password) > MAX_LENGTH:
        raise PasswordRefused(f"密码最多 {MAX_LENGTH} 个字符。")
    lowered = password.lower()
    if lowered in common_passwords() or lowered.rstrip("0123456789!.") in common_passwords():
        raise PasswordRefused("这是一个常见密码，很容易被猜中，请换一个。")
    if len(set(password)) < 4:
        raise PasswordRefused("密码中重复字符过多，请换一个。")
    if username and username.lower() in lowered:
        raise PasswordRefused("密码不能包含用户名。")


@functools.cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def use_cheap_hashes_for_tests() -> None:
    """Argon2id with minimal cost, for the test suite only (hundreds of accounts and logins).
    The browser tests run the portal as deployed, with the real profile."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    _DUMMY_HASH = _hasher.hash("not a real password, used to keep timings equal")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password in constant work whether or not there is a hash to check against."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
