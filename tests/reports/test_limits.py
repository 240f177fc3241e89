"""Rate limits count the right client, hold nothing reversible and date nothing within a day."""
from __future__ import annotations

import time

from portal import clock
from portal.ratelimit import client_network
from tests.reports.conftest import csrf


def _wrong_code(client, **headers) -> int:
    data = {"receipt": "WRONG", "csrf_token": csrf(client, "/report/follow-up")}
    return client.post("/report/follow-up", data=data, headers=headers).status_code


def test_behind_a_trusted_proxy_two_reporters_are_limited_separately(desk_app):
    app = desk_app(trusted_proxies=1)
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    guesser, reporter = app.test_client(), app.test_client()
    guesser.environ_base.update(proxy)
    reporter.environ_base.update(proxy)
    statuses = [_wrong_code(guesser, **{"X-Forwarded-For": "198.51.100.7"}) for _ in range(21)]
    assert statuses[-1] == 429 and set(statuses[:20]) == {400}
    # Another reporter behind the same nginx is not locked out by the first one's guessing.
    assert _wrong_code(reporter, **{"X-Forwarded-For": "198.51.100.8"}) == 400


def test_a_forged_forwarded_for_from_a_direct_client_changes_nothing(desk_app):
    app = desk_app()  # TRUSTED_PROXIES=0: no forwarding header is believed
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    statuses = [_wrong_code(client, **{"X-Forwarded-For": f"192.0.2.{n}"}) for n in range(21)]
    assert statuses[-1] == 429


def test_ipv6_clients_are_counted_per_64():
    assert client_network("2001:db8:1:2:aaaa::1") == client_network("2001:db8:1:2:ffff:1:2:3") == "2001:db8:1:2::/64"
    assert client_network("2001:db8:1:3::1") != client_network("2001:db8:1:2::1")
    assert client_network("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_network("192.0.2.1") == "192.0.2.1"


def test_rotating_the_low_bits_of_an_ipv6_address_passes_no_limit(desk_app):
    client = desk_app().test_client()
    statuses = []
    for n in range(21):
        client.environ_base["REMOTE_ADDR"] = f"2001:db8:77:1::{n + 1:x}"
        statuses.append(_wrong_code(client))
    assert statuses[-1] == 429


def test_window_lifetimes_end_at_fixed_boundaries():
    # 2026-11-29 14:37:52 in Meizhou (06:37:52 UTC): the day window ends at 00:00 local time.
    now = 1795934272.0
    assert clock.seconds_left_in_window(clock.DAY_SECONDS, now) == 9 * 3600 + 22 * 60 + 8
    assert clock.window_index(clock.DAY_SECONDS, now) == clock.window_index(clock.DAY_SECONDS, now + 9 * 3600 + 22 * 60 + 7)
    assert clock.window_index(clock.DAY_SECONDS, now) + 1 == clock.window_index(clock.DAY_SECONDS, now + 9 * 3600 + 22 * 60 + 8)


def test_redis_keys_and_lifetimes_say_nothing_finer_than_the_day(desk_app, redis_client):
    """What someone reading Redis sees: hashed keys under a random day key, lifetimes that all end
    at the coming midnight (or the one after), whatever second the report came in."""
    from tests.reports.conftest import submit

    app = desk_app(ratelimit_storage_uri="redis://127.0.0.1:6379/0")
    prefix = app.extensions["portal.settings"].ratelimit_key_prefix
    started = set(redis_client.keys("*"))
    client = app.test_client()
    assert submit(client).status_code == 200
    assert _wrong_code(client) == 400
    keys = [key for key in set(redis_client.keys("*")) - started]
    assert any(key.startswith(f"{prefix}:".encode()) for key in keys), "no day key in Redis"
    assert any(key.startswith(b"LIMITS:LIMITER/") for key in keys), "no counter in Redis"
    for key in keys:
        ttl = redis_client.ttl(key)
        ends_at = time.time() + ttl
        # Within a second or two of a midnight in Meizhou, whatever the time of the submission.
        left_of_day = clock.seconds_left_in_window(clock.DAY_SECONDS, ends_at - 2)
        assert left_of_day <= 3 or left_of_day >= clock.DAY_SECONDS - 1, (key, ttl)
    # The day key is random: it is not derived from any setting, so no secret recreates it.
    day_key = redis_client.get(f"{prefix}:portal-limiter-day-key/{clock.window_index(clock.DAY_SECONDS)}")
    settings = app.extensions["portal.settings"]
    assert day_key and settings.receipt_pepper.encode() not in day_key and settings.secret_key.encode() not in day_key


def test_a_search_or_login_counter_cannot_be_matched_to_the_same_client_s_report_counter(desk_app, redis_client):
    """The search limit counts per minute, the login's per 10 minutes: were they keyed like the
    daily limits, a Redis reader could date a report to the minute its sender searched."""
    import re

    from tests.reports.conftest import submit

    app = desk_app(ratelimit_storage_uri="redis://127.0.0.1:6379/0")
    started = set(redis_client.keys("LIMITS:*"))
    client = app.test_client()
    assert submit(client).status_code == 200
    client.get("/search?q=诚信")
    client.post("/admin/login", data={"csrf_token": csrf(client, "/admin/login"), "username": "nobody",
                                      "password": "not the password at all"})
    keys = [key.decode() for key in set(redis_client.keys("LIMITS:*")) - started]
    hashes = {key: set(re.findall(r"[0-9a-f]{64}", key)) for key in keys}

    def clients(part: str) -> set[str]:
        return set().union(*(found for key, found in hashes.items() if part in key))

    search, login, report = clients("search"), clients("login"), clients("report")
    assert search and login and report, keys
    assert not search & report and not login & report and not search & login, keys
