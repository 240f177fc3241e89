"""Forwarded headers believed only from the proxies the bureau runs.

Werkzeug's ProxyFix believes X-Forwarded-For/-Proto from whoever sends them. Behind nginx that is
right for nginx's connections, but a client that reaches gunicorn directly (another host on the
private network, a mistaken firewall) could then choose its own address — and with it every
per-client rate limit and the /metrics allow-list — or its own scheme, which Werkzeug copies
into redirects (`X-Forwarded-Proto: javascript` gave a `javascript://` Location).
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from werkzeug.middleware.proxy_fix import ProxyFix

FORWARDED_HEADERS = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                     "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_X_REAL_IP")
SCHEMES = {"http", "https"}


class TrustedProxies:
    """WSGI middleware: ProxyFix for connections from `networks`, the headers removed otherwise."""

    def __init__(self, app, hops: int, networks: Iterable[str]):
        self.app = app
        self.proxied = ProxyFix(app, x_for=hops, x_proto=hops)
        self.networks = tuple(ipaddress.ip_network(network, strict=False) for network in networks)

    def trusts(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address((address or "").split("%")[0])
        except ValueError:
            return False
        if ip.version == 6 and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.networks)

    def __call__(self, environ, start_response):
        if not self.trusts(environ.get("REMOTE_ADDR")):
            for header in FORWARDED_HEADERS:
                environ.pop(header, None)
            return self.app(environ, start_response)
        proto = environ.get("HTTP_X_FORWARDED_PROTO")
        if proto is not None and not all(part.strip().lower() in SCHEMES for part in proto.split(",")):
            # Even a trusted proxy passes on only http or https as the scheme.
            del environ["HTTP_X_FORWARDED_PROTO"]
        return self.proxied(environ, start_response)
