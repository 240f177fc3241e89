"""Forwarded headers are believed only from the configured proxies (TRUSTED_PROXY_NETWORKS), and
no redirect takes its scheme or host from the request."""
from __future__ import annotations

import pytest

from tests.reports.conftest import desk_app  # noqa: F401 (the fixture)
from tests.reports.test_limits import _wrong_code


def test_a_direct_client_cannot_choose_its_address_when_proxies_are_trusted(desk_app):
    app = desk_app(trusted_proxies=1, trusted_proxy_networks=("10.0.0.10/32",))
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.0.0.77"  # on the private network, but not nginx
    statuses = [_wrong_code(attacker, **{"X-Forwarded-For": f"192.0.2.{n}"}) for n in range(21)]
    # A new forged address each time would have reset the count; the real one is counted.
    assert statuses[-1] == 429 and set(statuses[:20]) == {400}


def test_the_configured_proxy_is_still_believed(desk_app):
    app = desk_app(trusted_proxies=1, trusted_proxy_networks=("10.0.0.10/32",))
    proxy = app.test_client()
    proxy.environ_base["REMOTE_ADDR"] = "10.0.0.10"
    statuses = [_wrong_code(proxy, **{"X-Forwarded-For": f"192.0.2.{n}"}) for n in range(21)]
    assert set(statuses) == {400}  # 21 clients behind nginx, each with one wrong code


def test_a_forged_address_does_not_open_metrics(make_app):
    app = make_app(trusted_proxies=1, metrics_networks=("10.1.0.0/16",), trusted_proxy_networks=("10.0.0.10/32",))
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert client.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 404
    client.environ_base["REMOTE_ADDR"] = "10.0.0.10"
    assert client.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 200


@pytest.mark.parametrize("remote", ["10.0.0.10", "203.0.113.9"])
@pytest.mark.parametrize("proto", ["javascript", "https, javascript", "data", "//evil.example"])
def test_a_slash_redirect_never_takes_its_scheme_from_the_request(make_app, remote, proto):
    app = make_app(trusted_proxies=1, trusted_proxy_networks=("10.0.0.10/32",),
                   public_base_url="https://yjj.example.gov.cn")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote
    response = client.get("/ratings", headers={"Host": "yjj.example.gov.cn", "X-Forwarded-Proto": proto})
    assert response.status_code == 308
    assert response.headers["Location"] == "https://yjj.example.gov.cn/ratings/"


def test_a_slash_redirect_keeps_the_query_and_the_base_path(make_app):
    app = make_app(public_base_url="https://yjj.example.gov.cn/portal")
    response = app.test_client().get("/ratings?x=1", headers={"Host": "yjj.example.gov.cn"})
    assert response.headers["Location"] == "https://yjj.example.gov.cn/portal/ratings/?x=1"
