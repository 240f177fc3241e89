"""What a log line may say (the server's logs are part of "anywhere" in the reporters' promise).

One filter for gunicorn's error log and the application's own logger:
- every IP address is masked;
- no query string is kept (`/search?q=举报张三 4400…` is what someone looked for);
- a line about a reporting page (/report, /apply) is dropped at INFO and below, and otherwise names
  no path and carries the day only: its time stamp is moved to the day's start (a traceback of a
  failed report stamped to the millisecond would date it). Lines around it keep their own times, so
  its place between them still narrows it to the interval between neighbours: SECURITY.md says so.
"""
from __future__ import annotations

import datetime as dt
import logging
import re

_ADDRESS_RE = re.compile(
    r"(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}"  # IPv4
    r"|\[?(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?\]?)(?![\w.])"  # IPv6
)
REPORTING_PATH_RE = re.compile(r"/(?:report|apply)\S*")
# A path's query string, up to the end of the token (space, quote) it is in.
_QUERY_RE = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")


def mask_addresses(text: str) -> str:
    return _ADDRESS_RE.sub("[address]", text)


def without_queries(text: str) -> str:
    return _QUERY_RE.sub(r"\1", text)


def _day_start(created: float) -> float:
    day = dt.datetime.fromtimestamp(created).date()
    return dt.datetime.combine(day, dt.time()).timestamp()


class PrivateRecords(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = without_queries(mask_addresses(record.getMessage()))
        if REPORTING_PATH_RE.search(message) or getattr(record, "reporting_page", False):
            if record.levelno <= logging.INFO:
                return False  # "GET /report/" at debug level: a request's second, nothing more
            message = REPORTING_PATH_RE.sub("[reporting page]", message)
            record.created, record.msecs = _day_start(record.created), 0.0
        record.msg, record.args = message, ()
        return True
