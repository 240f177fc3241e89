"""Settings: one typed, frozen object built from the environment.

Local defaults make `make run` work with no variable set; `PORTAL_ENV=production` refuses to
start with settings that would be unsafe in front of the public.
"""
from __future__ import annotations

import dataclasses
import functools
import ipaddress
import math
import os
import re
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; the message says which and what to do."""


@dataclasses.dataclass(frozen=True)
class Settings:
    env: str = "development"
    secret_key: str = ""
    database_url: str = ""
    content_dir: Path = PROJECT_ROOT / "content"
    search_index_dir: Path = PROJECT_ROOT / "search_index"
    files_dir: Path = INSTANCE_DIR / "files"
    # Where report files were kept before they moved into the database (migration 0006 reads it
    # once); nothing is written there any more.
    report_files_dir: Path = INSTANCE_DIR / "report-files"
    # The server-side key of the receipt codes' keyed hashes (and of the rate limiter's daily
    # address hashes). Not in the database, so a stolen database cannot test receipt codes.
    receipt_pepper: str = ""
    # Working days within which a report gets its first answer (受理或不予受理).
    report_answer_working_days: int = 5
    # Days after its conclusion that a report and its files are kept before `reports purge`.
    report_retention_days: int = 730
    # Days after an application for information is closed that its applicant's personal data
    # (name, identity document, contact, the request's text) is kept before `requests purge`;
    # the figures the annual report counts are kept.
    application_retention_days: int = 1095
    # 信息处理费: "per_application" (按件计收) or "per_page" (按量计收), as the bureau decides.
    application_fee_method: str = "per_application"
    # Several hosts: requests do not write the search index; each host runs `flask search follow`,
    # which follows the publication log into that host's index (portal.search.follower).
    search_follower: bool = False
    # Networks allowed to read /metrics (Prometheus), comma-separated in METRICS_NETWORKS, e.g.
    # "127.0.0.1/32,10.0.0.0/8"; empty (the default): /metrics answers 404 to everyone.
    metrics_networks: tuple[str, ...] = ()
    debug: bool = False
    page_size: int = 20
    # Request bodies larger than this are refused with a 413 page before any view runs.
    max_content_length: int = 16 * 1024 * 1024
    # Where Flask-Limiter keeps its counters: memory:// for one process, redis://... when
    # several workers or hosts must share limits.
    ratelimit_storage_uri: str = "memory://"
    # Names the portal's own keys in that storage (two portals, or test runs, sharing one Redis).
    ratelimit_key_prefix: str = "portal"
    # Sent as HSTS and used for Secure cookies; true when the portal is served over HTTPS.
    # Production assumes HTTPS unless `plain_http` says the portal is on plain HTTP on purpose.
    https: bool = False
    plain_http: bool = False
    # The site's public address (scheme, host, optional port and path prefix): every absolute
    # URL (feeds, sitemap, robots.txt, the API, the cite box) is built from it, never from the
    # request's Host header, and requests for any other host are refused (400).
    public_base_url: str = ""
    # Further host names the site answers to (e.g. a second domain), besides the base URL's.
    allowed_hosts: tuple[str, ...] = ()
    # What a Chinese government site shows in its footer (网站标识码, ICP/公安备案号, 主办/承办单位,
    # contact). Outside production, unset ones show clearly marked demo values.
    site_code: str = ""
    icp_record: str = ""
    psb_record: str = ""
    site_sponsor: str = ""
    site_undertaker: str = ""
    site_contact: str = ""
    # How many reverse proxies in front of the portal set X-Forwarded-For/-Proto (Werkzeug's
    # ProxyFix): 0 (default) trusts no such header, 1 for the documented nginx.
    trusted_proxies: int = 0
    # The addresses those proxies connect from (TRUSTED_PROXY_NETWORKS, comma-separated): the
    # forwarded headers are believed only on a connection from one of them, so a client that
    # reaches gunicorn directly cannot choose its own address or scheme.
    trusted_proxy_networks: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    # Pictures attached to reports are decoded to strip their metadata: at most this many pixels
    # in one request, and per client (the day's keyed address hash) in one day.
    upload_pixels_per_request: int = 120_000_000
    upload_pixels_per_day: int = 600_000_000
    # age public keys (age1…, comma-separated) that `flask backup create` encrypts every backup
    # to; its private identity stays with the operator, off the portal's machines. Empty: plain
    # backups (still 0600 files in a 0700 folder).
    backup_recipients: tuple[str, ...] = ()
    # Words of one search query that are looked up (the rest are ignored, and the page says so).
    search_max_words: int = 12
    # The publication log's Ed25519 signing key (`flask log init-key` writes it, mode 0600).
    # Outside the database, so a database dump cannot sign a rewritten history.
    log_key_file: Path = INSTANCE_DIR / "publication-log.key"
    # Witnesses whose cosignatures (C2SP tlog-cosignature) the log accepts and serves: their
    # verifier keys (name+id+base64(0x04 ‖ key)), comma-separated in LOG_WITNESSES.
    log_witnesses: tuple[str, ...] = ()
    # Where the log asks those witnesses for cosignatures after each signing (C2SP tlog-witness
    # submission prefixes): name=URL pairs, comma-separated in LOG_WITNESS_URLS.
    log_witness_urls: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from environment variables (see the README for the list)."""
        environ = os.environ if environ is None else environ
        env = environ.get("PORTAL_ENV", "development")
        values: dict = {"env": env}
        text_keys = {
            "SECRET_KEY": "secret_key",
            "DATABASE_URL": "database_url",
            "RATELIMIT_STORAGE_URI": "ratelimit_storage_uri",
            "RATELIMIT_KEY_PREFIX": "ratelimit_key_prefix",
            "RECEIPT_PEPPER": "receipt_pepper",
            "PUBLIC_BASE_URL": "public_base_url",
            "SITE_CODE": "site_code",
            "ICP_RECORD": "icp_record",
            "PSB_RECORD": "psb_record",
            "SITE_SPONSOR": "site_sponsor",
            "SITE_UNDERTAKER": "site_undertaker",
            "SITE_CONTACT": "site_contact",
        }
        for var, field in text_keys.items():
            if environ.get(var):
                values[field] = environ[var]
        for var, field in {
            "CONTENT_DIR": "content_dir",
            "SEARCH_INDEX_DIR": "search_index_dir",
            "FILES_DIR": "files_dir",
            "REPORT_FILES_DIR": "report_files_dir",
            "LOG_KEY_FILE": "log_key_file",
        }.items():
            if environ.get(var):
                values[field] = Path(environ[var]).resolve()
        for var, field in {
            "PAGE_SIZE": "page_size",
            "MAX_CONTENT_LENGTH": "max_content_length",
            "REPORT_ANSWER_WORKING_DAYS": "report_answer_working_days",
            "REPORT_RETENTION_DAYS": "report_retention_days",
            "APPLICATION_RETENTION_DAYS": "application_retention_days",
            "TRUSTED_PROXIES": "trusted_proxies",
            "UPLOAD_PIXELS_PER_REQUEST": "upload_pixels_per_request",
            "UPLOAD_PIXELS_PER_DAY": "upload_pixels_per_day",
            "SEARCH_MAX_WORDS": "search_max_words",
        }.items():
            if environ.get(var):
                try:
                    values[field] = int(environ[var])
                except ValueError as exc:
                    raise ConfigError(f"{var} must be a whole number, not {environ[var]!r}") from exc
        for var, field in {"FLASK_DEBUG": "debug", "PORTAL_HTTPS": "https", "PORTAL_PLAIN_HTTP": "plain_http",
                           "SEARCH_FOLLOWER": "search_follower"}.items():
            if var in environ:
                values[field] = environ[var].strip().lower() in {"1", "true", "yes", "on"}
        if environ.get("APPLICATION_FEE_METHOD"):
            values["application_fee_method"] = environ["APPLICATION_FEE_METHOD"].strip()
        if environ.get("LOG_WITNESSES"):
            values["log_witnesses"] = tuple(k.strip() for k in environ["LOG_WITNESSES"].split(",") if k.strip())
        for var, field in {"METRICS_NETWORKS": "metrics_networks", "TRUSTED_PROXY_NETWORKS": "trusted_proxy_networks",
                           "BACKUP_RECIPIENTS": "backup_recipients", "LOG_WITNESS_URLS": "log_witness_urls"}.items():
            if environ.get(var):
                values[field] = tuple(n.strip() for n in environ[var].split(",") if n.strip())
        if environ.get("ALLOWED_HOSTS"):
            values["allowed_hosts"] = tuple(h.strip() for h in environ["ALLOWED_HOSTS"].split(",") if h.strip())
        return cls(**values)

    def finalised(self) -> "Settings":
        """Fill local defaults and refuse unsafe settings (RULES; production has more of them)."""
        for rule in RULES:
            if (self.env == "production" or not rule.production_only) and not rule.holds(self):
                raise ConfigError(f"{rule.variable}: {rule.describe(self)}")
        settings = self
        if self.env == "production":
            if not self.plain_http:
                settings = dataclasses.replace(settings, https=True)
        else:
            if not self.secret_key:
                settings = dataclasses.replace(settings, secret_key=_local_secret("secret_key"))
            if not self.receipt_pepper:
                settings = dataclasses.replace(settings, receipt_pepper=_local_secret("receipt_pepper"))
        if not settings.public_base_url:
            settings = dataclasses.replace(
                settings, public_base_url=f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
        settings = dataclasses.replace(settings, public_base_url=settings.public_base_url.rstrip("/"))
        if not settings.database_url:
            INSTANCE_DIR.mkdir(exist_ok=True)
            settings = dataclasses.replace(
                settings, database_url=f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}"
            )
        return settings

    @property
    def site_identity(self) -> dict:
        """The footer's identifiers: the configured ones; outside production, demo values for
        any left unset, marked as such (`demo`)."""
        values = {"sponsor": self.site_sponsor, "undertaker": self.site_undertaker, "contact": self.site_contact,
                  "site_code": self.site_code, "icp": self.icp_record, "psb": self.psb_record}
        demo = self.env != "production" and not any(values.values())
        if demo:
            values = {"sponsor": "梅州市应急管理局", "undertaker": "梅州市应急管理局办公室",
                      "contact": "0753-0000000（示例）", "site_code": "0000000000",
                      "icp": "粤ICP备00000000号", "psb": "粤公网安备 00000000000000号"}
        return {**values, "demo": demo}

    @property
    def trusted_hosts(self) -> list[str]:
        """The host names requests may name; local names too outside production."""
        hosts = [urlsplit(self.public_base_url).hostname, *self.allowed_hosts]
        if self.env != "production":
            hosts += ["localhost", "127.0.0.1", "::1", "[::1]"]
        return list(dict.fromkeys(h for h in hosts if h))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def flask_config(self) -> dict:
        """The subset of settings Flask and its extensions read from app.config."""
        return {
            "SECRET_KEY": self.secret_key,
            "DEBUG": self.debug,
            "TESTING": self.env == "testing",
            "SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(self.database_url),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "MAX_CONTENT_LENGTH": self.max_content_length,
            # Form parts are limited too, so a flood of small fields cannot exhaust memory.
            "MAX_FORM_MEMORY_SIZE": 500_000,
            "MAX_FORM_PARTS": 100,
            "SESSION_COOKIE_HTTPONLY": True,
            # Strict: no other site can make a browser send the session cookie (CSRF defence in depth).
            "SESSION_COOKIE_SAMESITE": "Strict",
            "SESSION_COOKIE_SECURE": self.https,
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_uri,
            "JSON_AS_ASCII": False,
            # A request naming another host is refused (400) before any view runs.
            "TRUSTED_HOSTS": self.trusted_hosts,
            "PREFERRED_URL_SCHEME": urlsplit(self.public_base_url).scheme,
        }


GENERATE = "python -c \"import secrets; print(secrets.token_urlsafe(48))\""
# A secret must be worth at least this many bits to a guesser (zxcvbn's estimate: it knows
# repetition, sequences, keyboard walks and dictionary words; 48 random URL-safe characters are
# estimated at about 210, 32 hex digits at about 105).
SECRET_BITS = 128


def secret_weakness(value: str) -> str | None:
    """Why `value` is no secret (a shipped example, or too easy to guess), or None."""
    if not value:
        return "is not set"
    if value in example_values():
        return "this is the example value shipped in the repository, which anyone can read"
    if secret_bits(value) < SECRET_BITS:
        return f"too easy to guess (about {secret_bits(value)} bits; at least {SECRET_BITS} are needed)"
    return None


def secret_bits(value: str) -> int:
    from zxcvbn import zxcvbn

    # zxcvbn refuses more than 72 characters, so a longer value is estimated in 72-character
    # pieces whose guesses multiply (their bits add): a long value is not refused for its length,
    # and a weak start is not hidden by a long tail (it counts only for what it is worth).
    pieces = [value[i:i + ZXCVBN_MAX] for i in range(0, min(len(value), 4 * ZXCVBN_MAX), ZXCVBN_MAX)]
    return int(sum(zxcvbn(piece)["guesses_log10"] for piece in pieces) * math.log2(10))


ZXCVBN_MAX = 72


@functools.cache
def example_values() -> frozenset[str]:
    """Every value assigned in the repository's example files (deploy/**/*.env, the README):
    a placeholder copied from there into production is public."""
    values = set()
    for path in [*sorted((PROJECT_ROOT / "deploy").rglob("*.env")), PROJECT_ROOT / "README.md"]:
        if path.is_file():
            for match in _ASSIGNMENT.finditer(path.read_text(encoding="utf-8", errors="replace")):
                values.add(match.group(1).strip().strip("'\"`"))
    return frozenset(v for v in values if v)


_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?[A-Z][A-Z0-9_]*=(\S+)", re.MULTILINE)


def _base_url_problem(url: str) -> str | None:
    base = urlsplit(url)
    if base.scheme not in ("http", "https") or not base.hostname or base.query or base.fragment:
        return f"must be an address like https://yjj.meizhou.gov.cn, not {url!r}"
    if base.username is not None or base.password is not None:
        # A user name in the base URL would be copied into every feed, sitemap and API link.
        return "must not contain a user name or password"
    return None


def _networks_problem(networks: tuple[str, ...]) -> str | None:
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            return f"{network!r} is not a network (e.g. 10.0.0.0/8)"
    return None


def _witness_urls_problem(settings: Settings) -> str | None:
    names = {key.partition("+")[0] for key in settings.log_witnesses}
    for pair in settings.log_witness_urls:
        name, _, url = pair.partition("=")
        if name not in names:
            return f"{name!r} is not the name of a witness key in LOG_WITNESSES"
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            return f"{url!r} is not an http(s) address (write name=https://witness.example/prefix)"
    return None


def _recipients_problem(recipients: tuple[str, ...]) -> str | None:
    from pyrage import RecipientError, x25519

    for recipient in recipients:
        try:
            x25519.Recipient.from_str(recipient)
        except RecipientError:
            return f"{recipient[:20]!r} is not an age public key (age1…; `age-keygen` or `flask backup keygen` makes one)"
    return None


@dataclasses.dataclass(frozen=True)
class Rule:
    """One condition a setting must meet; `message` says what to do when it does not."""

    variable: str
    holds: Callable[[Settings], bool]
    message: str | Callable[[Settings], str]
    production_only: bool = False

    def describe(self, settings: Settings) -> str:
        return self.message(settings) if callable(self.message) else self.message


def _in_range(variable: str, field: str, low: int, high: int | None = None) -> Rule:
    bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
    return Rule(variable, lambda s: low <= getattr(s, field) <= (high if high is not None else math.inf),
                f"must be a whole number {bounds}")


def _secret_rule(variable: str, field: str) -> Rule:
    return Rule(variable, lambda s: secret_weakness(getattr(s, field)) is None,
                lambda s: f"{secret_weakness(getattr(s, field))}. Generate one with {GENERATE} and keep it",
                production_only=True)


# Every rule a setting must meet, in the order they are checked; tests/test_config.py has a test
# for each row.
RULES: tuple[Rule, ...] = (
    Rule("PORTAL_ENV", lambda s: s.env in ENVIRONMENTS, lambda s: f"must be one of {', '.join(ENVIRONMENTS)}, not {s.env!r}"),
    Rule("APPLICATION_FEE_METHOD", lambda s: s.application_fee_method in ("per_application", "per_page"),
         lambda s: "must be per_application (按件计收) or per_page (按量计收), "
                   f"not {s.application_fee_method!r}"),
    Rule("METRICS_NETWORKS", lambda s: _networks_problem(s.metrics_networks) is None,
         lambda s: _networks_problem(s.metrics_networks) or ""),
    Rule("TRUSTED_PROXY_NETWORKS", lambda s: _networks_problem(s.trusted_proxy_networks) is None,
         lambda s: _networks_problem(s.trusted_proxy_networks) or ""),
    Rule("BACKUP_RECIPIENTS", lambda s: _recipients_problem(s.backup_recipients) is None,
         lambda s: _recipients_problem(s.backup_recipients) or ""),
    Rule("LOG_WITNESS_URLS", lambda s: _witness_urls_problem(s) is None, lambda s: _witness_urls_problem(s) or ""),
    Rule("PUBLIC_BASE_URL", lambda s: not s.public_base_url or _base_url_problem(s.public_base_url) is None,
         lambda s: _base_url_problem(s.public_base_url) or ""),
    _in_range("PAGE_SIZE", "page_size", 1, 100),
    _in_range("MAX_CONTENT_LENGTH", "max_content_length", 1),
    _in_range("TRUSTED_PROXIES", "trusted_proxies", 0, 10),
    _in_range("REPORT_ANSWER_WORKING_DAYS", "report_answer_working_days", 1, 60),
    _in_range("REPORT_RETENTION_DAYS", "report_retention_days", 1),
    _in_range("APPLICATION_RETENTION_DAYS", "application_retention_days", 1),
    _in_range("UPLOAD_PIXELS_PER_REQUEST", "upload_pixels_per_request", 1_000_000),
    _in_range("UPLOAD_PIXELS_PER_DAY", "upload_pixels_per_day", 1_000_000),
    _in_range("SEARCH_MAX_WORDS", "search_max_words", 1, 64),
    _secret_rule("SECRET_KEY", "secret_key"),
    _secret_rule("RECEIPT_PEPPER", "receipt_pepper"),
    Rule("RECEIPT_PEPPER", lambda s: s.receipt_pepper != s.secret_key,
         "must differ from SECRET_KEY: the pepper is kept out of the database and its backups, the secret "
         "key signs cookies; give each its own value", production_only=True),
    Rule("FLASK_DEBUG", lambda s: not s.debug, "PORTAL_ENV=production refuses to run with FLASK_DEBUG on",
         production_only=True),
    Rule("PUBLIC_BASE_URL", lambda s: bool(s.public_base_url),
         "PORTAL_ENV=production needs the site's public address (e.g. https://yjj.meizhou.gov.cn): feeds, "
         "the sitemap and the API link to it", production_only=True),
    Rule("PUBLIC_BASE_URL", lambda s: s.plain_http or urlsplit(s.public_base_url).scheme == "https",
         "PORTAL_ENV=production assumes HTTPS: it must start with https://, or set PORTAL_PLAIN_HTTP=1 if "
         "the portal is served over plain HTTP on purpose", production_only=True),
)


def _sqlalchemy_url(url: str) -> str:
    # psycopg 3 is the driver we ship; accept the plain postgres:// forms people paste.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _local_secret(name: str) -> str:
    """A random key kept in instance/, so that all local workers and restarts share it."""
    INSTANCE_DIR.mkdir(exist_ok=True)
    path = INSTANCE_DIR / name
    if not path.exists():
        # Written aside then linked into place: two workers starting at once agree on one key.
        tmp = path.with_name(f".{name}.{os.getpid()}")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
