"""Two portal hosts behind Debian's nginx, in network namespaces made for the test.

    root namespace (the test, PostgreSQL, Redis)
        10.N.0.1 ── veth ── 10.N.0.2  lb: nginx with deploy/nginx/portal.conf, forwarding
                                       10.N.1.1 ── veth ── 10.N.1.2  host a: gunicorn + search follower
                                       10.N.2.1 ── veth ── 10.N.2.2  host b: gunicorn + search follower

Each host reaches the machine's PostgreSQL through its Unix socket (the filesystem is shared; the
network is not) and Redis through a Unix-socket bridge this module runs in the root namespace.
nginx runs the shipped site file unchanged, with this deployment's portal/upstream.conf,
portal/site.conf and portal/metrics-allow.conf written beside its own nginx.conf, as a bureau
writes its own. Everything is torn down by stop(): processes, namespaces (their veths go with
them), the bridge.
"""
from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import selectors
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = PROJECT_ROOT / "deploy"
PASSWORD = "Cluster-Password-2026!"
PASSPHRASE = "cluster desk passphrase"


def available() -> str | None:
    """Why the cluster cannot run here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in ("ip", "nginx", "openssl"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"{tool} is not installed"
    return None


class RedisBridge:
    """A Unix socket in the shared filesystem, forwarded to Redis on the root namespace's loopback."""

    def __init__(self, path: Path, target=("127.0.0.1", 6379)):
        self.path, self.target = path, target
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        os.chmod(path, 0o666)
        self.server.listen(64)
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket):
        selector = selectors.DefaultSelector()
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        try:
            while True:
                for key, _ in selector.select():
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            a.close()
            b.close()

    def close(self):
        self.stopped = True
        self.server.close()


class Cluster:
    def __init__(self, workdir: Path, database_url: str):
        self.workdir = workdir
        self.net = 100 + secrets.randbelow(150)
        self.tag = f"p{secrets.token_hex(2)}"
        self.ns = {"lb": f"{self.tag}lb", "a": f"{self.tag}a", "b": f"{self.tag}b"}
        self.address = {"lb": f"10.{self.net}.0.2", "a": f"10.{self.net}.1.2", "b": f"10.{self.net}.2.2"}
        self.public = f"https://{self.address['lb']}"
        self.database_url = self._socket_url(database_url)
        self.processes: dict[str, list[subprocess.Popen]] = {"a": [], "b": [], "lb": []}
        self.bridge: RedisBridge | None = None
        self.env = {
            **os.environ,
            "FLASK_APP": "wsgi", "PORTAL_ENV": "production", "SECRET_KEY": "cluster-" + secrets.token_urlsafe(48),
            "RECEIPT_PEPPER": "cluster-pepper-" + secrets.token_urlsafe(48), "DATABASE_URL": self.database_url,
            "PUBLIC_BASE_URL": self.public, "TRUSTED_PROXIES": "1", "FORWARDED_ALLOW_IPS": "*",
            # nginx (10.N.1.1, 10.N.2.1) and this test when it speaks to a host as nginx would (10.N.0.1).
            "TRUSTED_PROXY_NETWORKS": f"10.{self.net}.0.0/16",
            "RATELIMIT_STORAGE_URI": f"redis+unix://{workdir / 'redis.sock'}",
            "RATELIMIT_KEY_PREFIX": "cluster-" + secrets.token_hex(4), "SEARCH_FOLLOWER": "1",
            "PORTAL_LOG_AUDIT_AT_START": "0", "WEB_CONCURRENCY": "2", "LOG_KEY_FILE": str(workdir / "log.key"),
        }
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)

    @staticmethod
    def _socket_url(url: str) -> str:
        """The test database's URL through PostgreSQL's Unix socket (reachable from any namespace)."""
        parts = urlsplit(url)
        query = parts.query + ("&" if parts.query else "") + "host=/var/run/postgresql"
        return f"{parts.scheme}://{parts.username or 'postgres'}@{parts.path}?{query}"

    # --- set-up and tear-down ---------------------------------------------------------------

    def start(self, content_dir: Path) -> "Cluster":
        self._network()
        self.bridge = RedisBridge(self.workdir / "redis.sock")
        for command in (["db", "upgrade"], ["content", "import", str(content_dir)], ["log", "init-key"],
                        ["users", "create", "clerk", "--name", "受理人", "--role", "report_handler",
                         "--password", PASSWORD],
                        ["reports", "init-key", "--passphrase", PASSPHRASE]):
            self.flask(None, *command)
        for host in ("a", "b"):
            self.start_host(host)
        self._nginx()
        return self

    def stop(self) -> None:
        for processes in self.processes.values():
            for process in processes:
                self._kill(process)
        for ns in self.ns.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run(["ip", "link", "del", f"{self.tag}r0"], capture_output=True)
        if self.bridge:
            self.bridge.close()

    def _ip(self, *args: str, ns: str | None = None) -> None:
        command = (["ip", "netns", "exec", self.ns[ns]] if ns else []) + list(args)
        subprocess.run(command, check=True, capture_output=True)

    def _network(self) -> None:
        n, t = self.net, self.tag
        for ns in self.ns.values():
            subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True)
        for name in self.ns:
            self._ip("ip", "link", "set", "lo", "up", ns=name)
        links = [(f"{t}r0", None, f"10.{n}.0.1/24", f"{t}l0", "lb", f"10.{n}.0.2/24"),
                 (f"{t}l1", "lb", f"10.{n}.1.1/24", f"{t}a1", "a", f"10.{n}.1.2/24"),
                 (f"{t}l2", "lb", f"10.{n}.2.1/24", f"{t}b2", "b", f"10.{n}.2.2/24")]
        for left, left_ns, left_ip, right, right_ns, right_ip in links:
            self._ip("ip", "link", "add", left, "type", "veth", "peer", "name", right)
            for name, ns, address in ((left, left_ns, left_ip), (right, right_ns, right_ip)):
                if ns:
                    self._ip("ip", "link", "set", name, "netns", self.ns[ns])
                self._ip("ip", "addr", "add", address, "dev", name, ns=ns)
                self._ip("ip", "link", "set", name, "up", ns=ns)
        self._ip("sysctl", "-qw", "net.ipv4.ip_forward=1", ns="lb")
        self._ip("ip", "route", "add", f"10.{n}.1.0/24", "via", f"10.{n}.0.2")
        self._ip("ip", "route", "add", f"10.{n}.2.0/24", "via", f"10.{n}.0.2")
        self._ip("ip", "route", "add", "default", "via", f"10.{n}.1.1", ns="a")
        self._ip("ip", "route", "add", "default", "via", f"10.{n}.2.1", ns="b")

    def host_env(self, host: str) -> dict:
        folder = self.workdir / host
        return {**self.env, "BIND": f"{self.address[host]}:8000", "SEARCH_INDEX_DIR": str(folder / "search_index"),
                "FILES_DIR": str(folder / "files"), "WORK_SLOTS_DIR": str(folder / "slots")}

    def flask(self, host: str | None, *args: str) -> str:
        command = (["ip", "netns", "exec", self.ns[host]] if host else []) + [sys.executable, "-m", "flask", *args]
        done = subprocess.run(command, env=self.host_env(host) if host else self.env, cwd=PROJECT_ROOT,
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} on {host or 'root'}: {done.stderr[-3000:]}")
        return done.stdout

    def _spawn(self, host: str, command: list[str], log: str) -> subprocess.Popen:
        output = open(self.workdir / log, "ab")
        process = subprocess.Popen(["ip", "netns", "exec", self.ns[host], *command], env=self.host_env(host),
                                   cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[host].append(process)
        return process

    def start_host(self, host: str) -> None:
        (self.workdir / host).mkdir(exist_ok=True)
        self._spawn(host, [sys.executable, "-m", "gunicorn", "-c", "python:portal.gunicorn_conf", "wsgi:app"],
                    f"{host}-gunicorn.log")
        self._spawn(host, [sys.executable, "-m", "flask", "search", "follow", "--poll", "2"], f"{host}-follower.log")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.request(host, "GET", "/healthz")[0] == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"host {host} did not start: {(self.workdir / f'{host}-gunicorn.log').read_text()[-3000:]}")

    def kill_host(self, host: str) -> None:
        """As a power cut: every process of the host killed at once (SIGKILL to its groups)."""
        for process in self.processes[host]:
            self._kill(process)
        self.processes[host] = []

    @staticmethod
    def _kill(process: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)

    def _nginx(self) -> None:
        prefix = self.workdir / "nginx"
        conf = prefix / "conf"
        (conf / "portal" / "tls").mkdir(parents=True)
        (prefix / "logs").mkdir()
        tls = conf / "portal" / "tls"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem"),
                        "-subj", f"/CN={self.address['lb']}", "-addext", f"subjectAltName=IP:{self.address['lb']}"],
                       check=True, capture_output=True)
        self.ca = tls / "cert.pem"
        (conf / "portal" / "upstream.conf").write_text(
            "upstream portal_app {\n"
            f"    server {self.address['a']}:8000 max_fails=1 fail_timeout=10s;\n"
            f"    server {self.address['b']}:8000 max_fails=1 fail_timeout=10s;\n"
            "    keepalive 16;\n}\n")
        (conf / "portal" / "site.conf").write_text(
            f"server_name {self.address['lb']};\n"
            f"ssl_certificate {tls / 'cert.pem'};\nssl_certificate_key {tls / 'key.pem'};\n"
            f"set $portal_package {PROJECT_ROOT / 'portal'};\nset $portal_mirror {self.workdir / 'mirror'};\n"
            f"access_log {prefix / 'logs' / 'portal.access.log'} portal_private if=$portal_logged;\n"
            f"error_log {prefix / 'logs' / 'portal.error.log'} warn;\n")
        (conf / "portal" / "metrics-allow.conf").write_text(f"allow 10.{self.net}.0.1;\n")
        (conf / "nginx.conf").write_text(
            "user root;\nworker_processes 2;\ndaemon off;\n"
            f"pid {prefix / 'nginx.pid'};\nerror_log {prefix / 'logs' / 'error.log'} warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
            f"    client_body_temp_path {prefix / 'body'};\n    proxy_temp_path {prefix / 'proxy'};\n"
            f"    include {DEPLOY / 'nginx' / 'portal.conf'};\n}}\n")
        test = subprocess.run(["ip", "netns", "exec", self.ns["lb"], "nginx", "-t", "-p", str(prefix),
                               "-c", str(conf / "nginx.conf")], capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError(f"nginx -t: {test.stderr}")
        process = subprocess.Popen(["ip", "netns", "exec", self.ns["lb"], "nginx", "-p", str(prefix),
                                    "-c", str(conf / "nginx.conf")], stdout=subprocess.DEVNULL,
                                   stderr=open(prefix / "logs" / "stderr.log", "wb"), start_new_session=True)
        self.processes["lb"].append(process)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.request("lb", "GET", "/healthz")[0] == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError("nginx did not answer: " + (prefix / "logs" / "error.log").read_text()[-2000:])

    # --- talking to it ------------------------------------------------------------------------

    def request(self, where: str, method: str, path: str, form: dict | None = None, cookies: dict | None = None,
                timeout: float = 10, client: str | None = None) -> tuple[int, dict, bytes]:
        """One request to nginx ("lb", over TLS) or straight to a host ("a", "b", as nginx would
        send it: the forwarded headers of the one trusted proxy, for `client` if given: a poll
        that searches every 20 ms stands for many visitors, not one over the search limit).
        Returns (status, headers, body)."""
        if where == "lb":
            context = ssl.create_default_context(cafile=str(self.ca))
            connection = http.client.HTTPSConnection(self.address["lb"], 443, timeout=timeout, context=context)
            headers = {}
        else:
            connection = http.client.HTTPConnection(self.address[where], 8000, timeout=timeout)
            headers = {"X-Forwarded-For": client or f"10.{self.net}.0.1", "X-Forwarded-Proto": "https"}
        headers["Host"] = self.address["lb"]
        if method == "POST":  # as a browser sends it (Flask-WTF checks the Referer over HTTPS)
            headers["Referer"] = self.public + path
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            if cookies is not None:
                for header, value in response.getheaders():
                    if header.lower() == "set-cookie":
                        name, _, rest = value.partition("=")
                        cookies[name] = rest.split(";", 1)[0]
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            connection.close()
