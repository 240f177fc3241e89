"""gunicorn settings for `make run` and the documented deployment (`-c python:portal.gunicorn_conf`).

The portal promises reporters that nothing identifying them is written anywhere, and nothing
that dates their report finer than the day; the server's logs are part of "anywhere":
- the access log leaves out the client address, User-Agent and Referer, and does not log the
  reporting pages at all (a timed `POST /report/ 200` is a report's second);
- the error log has every IP address masked, gunicorn's own "Invalid request from ip=…"
  included, and no reporting page's path (its debug lines would date a report too).
"""
import logging
import multiprocessing
import os
import subprocess
import sys

from gunicorn.glogging import Logger

from portal.log_privacy import PrivateRecords

# Loopback by default; a host behind a load balancer on another machine binds its private address
# (BIND=10.0.0.11:8000 in deploy/systemd/portal.env).
bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
accesslog = "-"
# time, method, path without its query string (%(U)s, never %(r)s or %(q)s: a search's words are
# what someone looked for), status, response size, duration in microseconds; no %(h)s, %(a)s, %(f)s.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(D)sus'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket is one path per user (~/.gunicorn/gunicorn.ctl): several portal
# servers on one machine (hosts, tests, benchmarks) would take it from each other. Not used.
control_socket_disable = True

# Paths whose requests leave no line in the access log.
UNLOGGED_PREFIXES = ("/report", "/apply")


class PrivateLogger(Logger):
    """gunicorn's logger, keeping the promises above."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.addFilter(PrivateRecords())

    def access(self, resp, req, environ, request_time):
        # gunicorn's error path (a worker timeout, a request it rejects) logs with an environ
        # that has no PATH_INFO: the raw request's path decides too.
        paths = (environ.get("PATH_INFO") or "", getattr(req, "path", None) or "", getattr(req, "uri", None) or "")
        if any(path.startswith(UNLOGGED_PREFIXES) for path in paths):
            return
        super().access(resp, req, environ, request_time)


logger_class = PrivateLogger


def when_ready(server):
    if workers > 1 and os.environ.get("RATELIMIT_STORAGE_URI", "memory://").startswith("memory://"):
        server.log.warning("RATELIMIT_STORAGE_URI is memory://: each of the %d workers counts rate limits "
                           "on its own; set it to redis://… so that limits are one count", workers)
    # The publication log's self-audit once at start-up, in a process of its own so that it
    # delays nothing (cron runs it too): any mismatch goes to this log and onto the item's page.
    if os.environ.get("PORTAL_LOG_AUDIT_AT_START", "1") != "0":
        subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "log", "verify"],
                         stdout=subprocess.DEVNULL, start_new_session=True)


# The workers' /metrics counts, shared through files (prometheus_client's multiprocess mode): a
# folder of this server's own unless the operator names one.
_OWN_METRICS_DIR = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    _OWN_METRICS_DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="portal-metrics-")


def on_exit(server):
    """The folder this server made for itself goes with it (one was left per start)."""
    if _OWN_METRICS_DIR:
        import shutil

        shutil.rmtree(_OWN_METRICS_DIR, ignore_errors=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Load the Chinese dictionary and character tables before the first request, not during
    it (about 0.3 s that the first visitor to search would otherwise wait)."""
    from portal.search.analysis import normalise, segmenter

    segmenter()
    normalise("")
