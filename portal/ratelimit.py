"""Rate limiting that keeps no trace finer than the day and holds no reversible address.

Three rules, each against one adversary of SECURITY.md ("Reporters"):

- **Keys no secret can reverse.** A client is counted under HMAC(address) with a random key made
  for the day and kept only in the limiter's own storage (memory, or Redis with a lifetime that
  ends at midnight). No long-lived secret derives it, so once the day's key is gone even the
  holder of every server secret cannot turn yesterday's counters back into addresses.
- **IPv6 per /64.** One subscriber usually holds a whole /64; counting single addresses would let
  one person pass any limit by rotating the low bits.
- **Windows aligned to fixed boundaries.** Flask-Limiter's fixed window starts at a client's
  first hit, so a counter's remaining lifetime dates that hit to the second. Here every window
  starts at a multiple of its length (days at 00:00 Asia/Shanghai) and every lifetime ends at the
  window's end: what Redis shows depends only on the time it is read.

Behind a reverse proxy the client's address is what the proxy says it is: `TRUSTED_PROXIES`
(Werkzeug's ProxyFix, portal.create_app) makes `request.remote_addr` the forwarded one.
"""
from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from hashlib import sha256

from flask import current_app, request
from limits import RateLimitItem
from limits.strategies import STRATEGIES, FixedWindowRateLimiter, WindowStats

from portal import clock

ALIGNED_STRATEGY = "aligned-fixed-window"
_SALT_PREFIX = "portal-limiter-day-key/"


class AlignedFixedWindowRateLimiter(FixedWindowRateLimiter):
    """A fixed window whose start and end are fixed points of the clock, not the first hit."""

    def _key(self, item: RateLimitItem, identifiers) -> str:
        window = item.get_expiry()
        return f"{item.key_for(*identifiers)}/{clock.window_index(window)}"

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        expiry = clock.seconds_left_in_window(item.get_expiry())
        return self.storage.incr(self._key(item, identifiers), expiry, amount=cost) <= item.amount

    def test(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        return self.storage.get(self._key(item, identifiers)) < item.amount - cost + 1

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        key = self._key(item, identifiers)
        return WindowStats(self.storage.get_expiry(key), max(0, item.amount - self.storage.get(key)))

    def clear(self, item: RateLimitItem, *identifiers: str) -> None:
        self.storage.clear(self._key(item, identifiers))


STRATEGIES[ALIGNED_STRATEGY] = AlignedFixedWindowRateLimiter


def client_network(address: str) -> str:
    """What counts as one client: an IPv4 address, or the /64 an IPv6 address lies in."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


class DailyKey:
    """Today's random HMAC key for client addresses, shared through the limiter's storage.

    In Redis it is one key with a lifetime ending at midnight (set once with NX, so every worker
    and host agrees); with memory storage each process makes its own, as its counters are its own
    too. A worker keeps the day's key in memory and forgets it when the day changes. `namespace`
    (RATELIMIT_KEY_PREFIX) separates portals, or test runs, sharing one Redis.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._keys: dict[tuple[int, str], tuple[int, bytes]] = {}

    def current(self, storage, namespace: str) -> bytes:
        day = clock.window_index(clock.DAY_SECONDS)
        slot = (id(storage), namespace)
        with self._lock:
            cached = self._keys.get(slot)
            if cached is None or cached[0] != day:
                # Yesterday's keys of every storage go with it.
                self._keys = {s: v for s, v in self._keys.items() if v[0] == day}
                cached = self._keys[slot] = (day, self._fetch(storage, f"{namespace}:{_SALT_PREFIX}{day}"))
            return cached[1]

    @staticmethod
    def _fetch(storage, name: str) -> bytes:
        client = _redis_client(storage)
        if client is None:
            return secrets.token_bytes(32)
        client.set(name, secrets.token_hex(32), nx=True, ex=clock.seconds_left_in_window(clock.DAY_SECONDS))
        value = client.get(name)
        return bytes.fromhex(value.decode() if isinstance(value, bytes) else value)


def _redis_client(storage):
    """The Redis connection behind a limits storage, or None for memory storage."""
    get_connection = getattr(storage, "get_connection", None)
    return get_connection() if get_connection is not None else None


daily_key = DailyKey()


def hashed_client(storage, purpose: str = "") -> str:
    """The limiter's key for this request's client: HMAC under today's random key.

    A limit with a window shorter than the day takes a `purpose` of its own, so that its keys
    cannot be matched to the daily ones: a searcher's per-minute counter must not date the
    same client's report of that day to the minute."""
    namespace = current_app.extensions["portal.settings"].ratelimit_key_prefix
    network = client_network(request.remote_addr or "")
    message = f"{purpose}\0{network}" if purpose else network
    return hmac.new(daily_key.current(storage, namespace), message.encode(), sha256).hexdigest()
