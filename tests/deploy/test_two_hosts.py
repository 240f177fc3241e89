"""Two hosts, one database, behind nginx with the shipped site file (tests/deploy/cluster.py):
search follows a publication made on the other host within 5 s; a report filed through one host
is read, with its file, on the desk of the other; rate limits count once; a host killed during
a load run loses nothing stored, nginx serving its share from the other host, no POST stored
twice; its index catches up when it returns; nginx keeps the reporting pages out of its log."""
from __future__ import annotations

import html
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pyotp
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import CONTENT_DIR, private_postgres_schema
from tests.deploy.cluster import PASSPHRASE, PASSWORD, Cluster, available

pytestmark = pytest.mark.cluster
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the two-host test must run in CI: {reason}")
        pytest.skip(reason)
    workdir = tmp_path_factory.mktemp("cluster")
    content = workdir / "content"
    shutil.copytree(CONTENT_DIR, content)
    with private_postgres_schema() as url:
        running = Cluster(workdir, url)
        try:
            running.start(content)
            running.sql = create_engine(url)
            yield running
        finally:
            running.stop()
            if getattr(running, "sql", None) is not None:
                running.sql.dispose()


def _notice(slug: str, title: str) -> str:
    return (f"---\nslug: {slug}\ntitle: {title}\nindex_no: CLUSTER-{slug}\npublisher: 梅州市应急管理局\n"
            "published_on: 2026-11-20\ntopic: 政务诚信\ndisclosure_mode: 主动公开\n---\n\n集群测试正文。\n")


def _new_visitor() -> str:
    """An address of its own for each poll: the polls stand for many visitors searching."""
    return f"192.168.{secrets.randbelow(256)}.{1 + secrets.randbelow(254)}"


def _search_titles(cluster: Cluster, host: str, words: str) -> list[str]:
    from urllib.parse import quote

    from bs4 import BeautifulSoup

    status, _, body = cluster.request(host, "GET", f"/search?q={quote(words)}", client=_new_visitor())
    if status != 200:
        return []
    return [a.get_text() for a in BeautifulSoup(body.decode(), "html.parser").select(".hit-title")]


def _publish_on(cluster: Cluster, host: str, slug: str, title: str) -> None:
    (cluster.workdir / "content" / "disclosures" / f"{slug}.md").write_text(_notice(slug, title), encoding="utf-8")
    cluster.flask(host, "content", "import", str(cluster.workdir / "content"))


def _csrf(cluster: Cluster, host: str, path: str, cookies: dict) -> str:
    status, _, body = cluster.request(host, "GET", path, cookies=cookies)
    assert status == 200, (path, status)
    return html.unescape(CSRF_RE.search(body.decode()).group(1))


def test_a_publication_through_one_host_is_found_through_the_other_within_5_s(cluster):
    _publish_on(cluster, "a", "cluster-flood-notice", "关于集群防汛演练安排的通知")
    published = time.monotonic()
    while _search_titles(cluster, "b", "集群防汛演练") == [] and time.monotonic() < published + 10:
        time.sleep(0.1)
    found = time.monotonic()
    assert _search_titles(cluster, "b", "集群防汛演练") == ["关于集群防汛演练安排的通知"]
    print(f"\npublished on a, found through b after {found - published:.2f} s")
    assert found - published <= 5, f"{found - published:.1f} s"


def test_a_report_filed_through_b_is_read_with_its_file_on_the_desk_of_a(cluster):
    # A reporter through host b.
    cookies: dict = {}
    token = _csrf(cluster, "b", "/report/", cookies)
    status, _, body = cluster.request("b", "GET", "/report/", cookies=cookies)
    form_token = re.search(r'name="form_token" value="([^"]+)"', body.decode()).group(1)
    description = "集群测试举报：窗口工作人员超过承诺时限仍未办结。" + secrets.token_hex(4)
    boundary = "----cluster" + secrets.token_hex(8)
    fields = {"csrf_token": token, "form_token": form_token, "category": "approval_delay",
              "description": description, "anonymity": "anonymous", "pow_challenge": "", "pow_nonce": ""}
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    evidence = b"cluster evidence file " + secrets.token_hex(8).encode()
    payload = ("".join(parts).encode() + f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
               f'filename="evidence.txt"\r\nContent-Type: text/plain\r\n\r\n'.encode() + evidence
               + f"\r\n--{boundary}--\r\n".encode())
    import http.client

    connection = http.client.HTTPConnection(cluster.address["b"], 8000, timeout=30)
    connection.request("POST", "/report/", body=payload, headers={
        "Host": cluster.address["lb"], "X-Forwarded-For": f"10.{cluster.net}.0.1", "X-Forwarded-Proto": "https",
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Referer": cluster.public + "/report/",
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
    response = connection.getresponse()
    assert response.status == 200, response.read().decode()[:500]
    connection.close()

    # The handler signs in on host a, unlocks the desk and reads it, with its file.
    desk: dict = {}
    token = _csrf(cluster, "a", "/admin/login", desk)
    status, headers, _ = cluster.request("a", "POST", "/admin/login", {"csrf_token": token, "username": "clerk",
                                                                      "password": PASSWORD, "next": ""}, desk)
    assert status == 302 and headers["location"].endswith("/admin/enrol"), status
    status, _, body = cluster.request("a", "GET", "/admin/enrol", cookies=desk)
    secret = "".join(re.search(r'<code class="secret">([^<]+)</code>', body.decode()).group(1).split())
    token = html.unescape(CSRF_RE.search(body.decode()).group(1))
    status, _, _ = cluster.request("a", "POST", "/admin/enrol", {"csrf_token": token,
                                                                 "code": pyotp.TOTP(secret).now()}, desk)
    assert status == 302
    token = _csrf(cluster, "a", "/admin/reports/unlock", desk)
    status, _, _ = cluster.request("a", "POST", "/admin/reports/unlock", {"csrf_token": token,
                                                                          "passphrase": PASSPHRASE}, desk)
    assert status == 302
    status, _, body = cluster.request("a", "GET", "/admin/reports", cookies=desk)
    report_id = re.search(r'href="/admin/reports/(\d+)"', body.decode()).group(1)
    status, _, body = cluster.request("a", "GET", f"/admin/reports/{report_id}", cookies=desk)
    page = body.decode()
    assert status == 200 and description in page
    file_url = html.unescape(re.search(r'href="(/admin/reports/\d+/files/\d+[^"]*)"', page).group(1))
    status, _, data = cluster.request("a", "GET", file_url, cookies=desk)
    assert status == 200 and evidence in data


def test_rate_limits_count_once_across_hosts(cluster):
    # Wrong receipt codes: 20 a day per client, counted in Redis whichever host answers.
    cookies: dict = {}
    token = _csrf(cluster, "a", "/report/follow-up", cookies)
    statuses = []
    for attempt in range(22):
        host = "a" if attempt % 2 else "b"
        status, _, _ = cluster.request(host, "POST", "/report/follow-up",
                                       {"csrf_token": token, "receipt": "WRONG-CODE-" + str(attempt)}, cookies)
        statuses.append(status)
    assert statuses[:20] == [400] * 20 and statuses[20:] == [429, 429], statuses


def _apply(cluster: Cluster, n: int) -> tuple[str, int]:
    """One application through nginx: (its form token, the status nginx answered or 0)."""
    cookies: dict = {}
    try:
        status, _, body = cluster.request("lb", "GET", "/apply/", cookies=cookies, timeout=15)
        page = body.decode()
        form_token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
        token = html.unescape(CSRF_RE.search(page).group(1))
    except Exception:
        return "", 0
    form = {"csrf_token": token, "form_token": form_token, "applicant_type": "natural", "name": f"负载申请人{n}",
            "id_type": "resident_id", "id_number": f"LOAD-{n}", "phone": "13800000000",
            "description": "申请获取集群负载测试用的文件。", "form_wanted": "electronic", "delivery": "online"}
    try:
        status, _, _ = cluster.request("lb", "POST", "/apply/", form, cookies, timeout=15)
    except Exception:
        status = 0
    return form_token, status


def test_a_host_killed_under_load_loses_nothing_and_catches_up(cluster):
    wrk = shutil.which("wrk")
    load = subprocess.Popen([wrk, "-t2", "-c16", "-d8s", "--latency", f"{cluster.public}/disclosures/"],
                            stdout=subprocess.PIPE, text=True) if wrk else None
    results: list[tuple[str, int]] = []
    stop = threading.Event()

    def applying():
        # Paced so that the 20 a client may file in a day (the form's limit) span the kill.
        n = 0
        with ThreadPoolExecutor(2) as pool:
            while not stop.is_set() and n < 20:
                results.extend(pool.map(lambda i: _apply(cluster, i), range(n, n + 2)))
                n += 2
                time.sleep(0.4)

    applicant = threading.Thread(target=applying)
    applicant.start()
    time.sleep(2.5)
    cluster.kill_host("a")  # gunicorn master, workers and the follower, at once
    killed = time.monotonic()
    _publish_on(cluster, "b", "cluster-while-a-was-down", "关于主机宕机期间发布的集群通知")
    time.sleep(3)
    stop.set()
    applicant.join(timeout=60)
    output = load.communicate(timeout=60)[0] if load else ""

    # GETs: nginx retried what host a could not answer on host b.
    if load:
        assert "Non-2xx or 3xx responses" not in output, output
        errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
        assert errors is None or errors.group(2) == "0", output
    # POSTs: each stored once, or answered with an error; none stored twice, none half-stored.
    with cluster.sql.connect() as connection:
        rows = connection.execute(text(
            "SELECT a.form_token_hash, count(e.id) FROM applications a LEFT JOIN application_events e "
            "ON e.application_id = a.id AND e.kind = 'received' WHERE a.form_token_hash IS NOT NULL "
            "GROUP BY a.id, a.form_token_hash")).all()
    stored = len(rows)
    assert all(received == 1 for _, received in rows)  # each with its timeline: whole
    answered_ok = sum(1 for token, status in results if token and status == 200)
    assert answered_ok <= stored <= len([r for r in results if r[0]]), (answered_ok, stored, len(results))
    assert len({token for token, _ in rows}) == stored  # no form stored twice
    print(f"\nkill -9 under load: {len(results)} applications sent, {answered_ok} answered 200, {stored} stored; "
          f"wrk: {' '.join(line.strip() for line in output.splitlines() if 'requests in' in line or 'Requests/sec' in line)}")
    assert answered_ok >= 10 and time.monotonic() - killed < 60

    # Host a comes back; its index applies what was published while it was down.
    cluster.start_host("a")
    deadline = time.monotonic() + 10
    while _search_titles(cluster, "a", "主机宕机期间") == [] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _search_titles(cluster, "a", "主机宕机期间") == ["关于主机宕机期间发布的集群通知"]


def test_nginx_keeps_its_promises(cluster):
    status, headers, _ = cluster.request("lb", "GET", "/static/css/portal.css")
    assert status == 200 and "max-age=3600" in headers.get("cache-control", "")
    cluster.request("lb", "GET", "/report/")
    cluster.request("lb", "GET", "/apply/")
    cluster.request("lb", "GET", "/privacy?utm=canary")
    time.sleep(0.5)  # nginx writes its log lines as requests finish
    log = (cluster.workdir / "nginx" / "logs" / "portal.access.log").read_text()
    assert '"GET /privacy"' in log and "utm=canary" not in log
    assert "/report" not in log and "/apply" not in log
    assert f"10.{cluster.net}.0.1" not in log  # no client address
    # A client's own X-Forwarded-For is replaced: the limiter sees nginx's view of the client.
    status, _, _ = cluster.request("lb", "GET", "/metrics")
    assert status == 404  # the portal refuses unless METRICS_NETWORKS names the network
    # Too large a body is refused by nginx before it reaches a host.
    status, _, _ = cluster.request("lb", "POST", "/apply/", {"x": "y" * (17 * 1024 * 1024)})
    assert status == 413
