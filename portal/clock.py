"""The portal's clock: dates in the bureau's time zone, and UTC instants for staff records.

The lowest floor of the package: it imports nothing from the portal, so any module may use it.
"""
from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

BUREAU_TIMEZONE = ZoneInfo("Asia/Shanghai")
DAY_SECONDS = 86_400


def today() -> dt.date:
    """The date in Meizhou: a correction made at 07:00 there is dated that day, not the UTC one."""
    return dt.datetime.now(BUREAU_TIMEZONE).date()


def utcnow() -> dt.datetime:
    """Now in UTC, without tzinfo (how the database columns store instants)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def in_bureau_time(instant: dt.datetime) -> dt.datetime:
    """A stored UTC instant (no tzinfo) as Beijing time, for what the public pages print."""
    return instant.replace(tzinfo=dt.timezone.utc).astimezone(BUREAU_TIMEZONE)


def seconds_left_in_window(window: int, now: float | None = None) -> int:
    """Seconds until the end of the current `window`-second window, windows aligned to the
    bureau's midnight (a day window ends at 00:00 Asia/Shanghai). Depends on `now` alone, so a
    lifetime set with it says nothing about when the thing it guards was first touched."""
    now = time.time() if now is None else now
    local = now + _utc_offset(now)
    return max(1, int(window - local % window + 0.999))


def window_index(window: int, now: float | None = None) -> int:
    """Which `window`-second window `now` falls in (aligned as above)."""
    now = time.time() if now is None else now
    return int((now + _utc_offset(now)) // window)


def _utc_offset(now: float) -> float:
    return dt.datetime.fromtimestamp(now, BUREAU_TIMEZONE).utcoffset().total_seconds()
