"""Staff passwords: Argon2id hashes and the length-only policy of SECURITY.md.

No composition rules (NIST SP 800-63B, OWASP ASVS 6.2): at least 12 characters, at most 128,
not a commonly used password and not the user name.
"""
from __future__ import annotations

import functools
import gzip
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from portal.work_slots import SlotPool, half_the_cores

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


class HashingBusy(Exception):
    """Every password-hashing slot of this machine is taken: try again in a moment."""


# Argon2 takes ~64 MiB and both cores for a fraction of a second: at most one hash per two cores
# runs at a time on one machine, across every gunicorn worker (portal/work_slots.py).
HASHING = SlotPool("hashing", half_the_cores(), HashingBusy)


def hashing_slot(wait: bool = False):
    """Hold one of the machine's hashing slots. HashingBusy if none is free, or, with `wait`
    (signed-in staff and the command line, never an anonymous request), wait for the first."""
    return HASHING.hold(wait)


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


# The hashing itself runs on one thread per process at a lower CPU priority (nice 10; Argon2's
# own threads inherit it): when logins and page views compete for the cores, the page views win.
# A thread's priority cannot be raised again without privileges, so it is a thread of its own.
HASHING_NICENESS = 10
_executor: tuple[int, ThreadPoolExecutor] | None = None
_executor_lock = threading.Lock()


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)
    except OSError:  # not permitted here: hashing at normal priority is still correct
        pass


def at_low_priority(work: Callable[[], object]) -> object:
    global _executor
    with _executor_lock:
        if _executor is None or _executor[0] != os.getpid():  # a forked worker makes its own
            _executor = (os.getpid(), ThreadPoolExecutor(max_workers=1, initializer=_lower_priority,
                                                         thread_name_prefix="argon2"))
        executor = _executor[1]
    return executor.submit(work).result()


def hash_password(password: str) -> str:
    """Only for signed-in staff and the command line: waits for a free slot."""
    with hashing_slot(wait=True):
        return at_low_priority(lambda: _hasher.hash(password))


def rehash_in_slot(password: str) -> str:
    """A new hash, by a caller that holds a hashing slot (an old hash upgraded at login)."""
    return at_low_priority(lambda: _hasher.hash(password))


def verify_password(password_hash: str | None, password: str, slot_held: bool = False) -> bool:
    """Check a password in constant work whether or not there is a hash to check against.
    HashingBusy when the machine's hashing slots are all taken (unless the caller already holds
    one: `slot_held`)."""
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    if slot_held:
        return at_low_priority(verify)
    with hashing_slot():
        return at_low_priority(verify)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
