"""`/metrics` in Prometheus' text format (prometheus_client), for the bureau's monitoring only.

What it counts: requests and their duration by endpoint and status; this host's search index
lag (publication log entries not yet applied, the outbox's size); the desks' open queues. Never
an address, a path's parameters or any content. The reporting and application pages are not
counted at all: a counter scraped every few seconds would date a report finer than the day,
which the report desk promises never to do.

Not public: it answers only when METRICS_NETWORKS is set and the client's address (as the one
trusted proxy reports it) is in one of those networks; anyone else gets 404. Several gunicorn
workers share counts through prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR,
which portal.gunicorn_conf sets up).
"""
from __future__ import annotations

import ipaddress
import os
import time

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from portal.clock import today
from portal.extensions import db

UNCOUNTED = ("reports.", "applications.")  # endpoints whose requests leave no trace here
# Any other method is "other": a label per invented method would be a series per request.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUESTS = Counter("portal_requests", "HTTP requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram("portal_request_seconds", "Time to answer a request", ["endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


class _PortalState:
    """Figures read when scraped: the index lag and the desks' open queues."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        from portal.applications.models import Application, Status as ApplicationStatus
        from portal.reports.models import Report
        from portal.search import follower

        with self.app.app_context():
            lag = follower.lag()
            pending = GaugeMetricFamily("portal_search_pending_entries",
                                        "Publication log entries this host's search index has not applied")
            if lag["pending"] is not None:
                pending.add_metric([], lag["pending"])
            yield pending
            log_size = GaugeMetricFamily("portal_publication_log_entries", "Entries in the publication log")
            log_size.add_metric([], follower.head())
            yield log_size
            # The open queues as of the last completed day: a report or application arriving
            # today does not move them (a gauge that rose in the second one arrived would date it).
            first_open_day = today()
            reports = GaugeMetricFamily("portal_reports_open", "Reports not concluded, received before today",
                                        labels=["status"])
            for status, count in db.session.execute(select(Report.status, func.count()).where(
                    Report.status.in_(["registered", "accepted", "transferred"]),
                    Report.received_on < first_open_day).group_by(Report.status)):
                reports.add_metric([status], count)
            yield reports
            applications = GaugeMetricFamily("portal_applications_open",
                                             "Applications for information not closed, received before today",
                                             labels=["status"])
            final = [ApplicationStatus.ANSWERED.value, ApplicationStatus.CLOSED.value]
            for status, count in db.session.execute(select(Application.status, func.count()).where(
                    Application.status.notin_(final), Application.received_on < first_open_day
            ).group_by(Application.status)):
                applications.add_metric([status], count)
            yield applications
            db.session.remove()


def init_app(app: Flask) -> None:
    # First of all before-request functions: a page served from the page cache (whose hook
    # answers before the view) is timed and counted too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_count)
    app.add_url_rule("/metrics", "metrics", _metrics)
    app.extensions["portal.metrics_state"] = _PortalState(app)


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _count(response):
    endpoint = request.endpoint or "unmatched"
    if endpoint.startswith(UNCOUNTED) or endpoint == "metrics" or "metrics_started" not in g:
        return response
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    LATENCY.labels(endpoint).observe(time.perf_counter() - g.metrics_started)
    return response


def _allowed(address: str | None, networks: tuple[str, ...]) -> bool:
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(network, strict=False) for network in networks)


def _metrics():
    networks = current_app.extensions["portal.settings"].metrics_networks
    if not networks or not _allowed(request.remote_addr, networks):
        abort(404)
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(current_app.extensions["portal.metrics_state"])
    response = Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
