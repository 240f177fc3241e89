"""gunicorn settings for `make run` and the documented deployment (`-c python:portal.gunicorn_conf`).

The access log leaves out the client address, User-Agent and Referer on purpose: the portal
promises reporters that nothing identifying them is written anywhere, and the server's log is
part of "anywhere".
"""
import multiprocessing
import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
accesslog = "-"
# time, request line, status, response size, duration in microseconds; no %(h)s, %(a)s, %(f)s.
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(D)sus'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Load the Chinese dictionary and character tables before the first request, not during
    it (about 0.3 s that the first visitor to search would otherwise wait)."""
    from portal.search.analysis import normalise, segmenter

    segmenter()
    normalise("")
