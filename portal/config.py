"""Settings: one typed, frozen object built from the environment.

Local defaults make `make run` work with no variable set; `PORTAL_ENV=production` refuses to
start with settings that would be unsafe in front of the public.
"""
from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

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
    debug: bool = False
    page_size: int = 20
    # Request bodies larger than this are refused with a 413 page before any view runs.
    max_content_length: int = 16 * 1024 * 1024
    # Where Flask-Limiter keeps its counters: memory:// for one process, redis://... when
    # several workers or hosts must share limits.
    ratelimit_storage_uri: str = "memory://"
    # Sent as HSTS and used for Secure cookies; true when the portal is served over HTTPS.
    https: bool = False

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
            "RECEIPT_PEPPER": "receipt_pepper",
        }
        for var, field in text_keys.items():
            if environ.get(var):
                values[field] = environ[var]
        for var, field in {
            "CONTENT_DIR": "content_dir",
            "SEARCH_INDEX_DIR": "search_index_dir",
            "FILES_DIR": "files_dir",
            "REPORT_FILES_DIR": "report_files_dir",
        }.items():
            if environ.get(var):
                values[field] = Path(environ[var]).resolve()
        for var, field in {
            "PAGE_SIZE": "page_size",
            "MAX_CONTENT_LENGTH": "max_content_length",
            "REPORT_ANSWER_WORKING_DAYS": "report_answer_working_days",
            "REPORT_RETENTION_DAYS": "report_retention_days",
        }.items():
            if environ.get(var):
                try:
                    values[field] = int(environ[var])
                except ValueError as exc:
                    raise ConfigError(f"{var} must be a whole number, not {environ[var]!r}") from exc
        for var, field in {"FLASK_DEBUG": "debug", "PORTAL_HTTPS": "https"}.items():
            if var in environ:
                values[field] = environ[var].strip().lower() in {"1", "true", "yes", "on"}
        return cls(**values)

    def finalised(self) -> "Settings":
        """Fill local defaults and refuse unsafe production settings."""
        if self.env not in ENVIRONMENTS:
            raise ConfigError(f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}, not {self.env!r}")
        settings = self
        if self.env == "production":
            if len(self.secret_key) < 32 or self.secret_key in {"dev", "change-me", "secret"}:
                raise ConfigError(
                    "PORTAL_ENV=production needs SECRET_KEY: at least 32 random characters "
                    "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
            if len(self.receipt_pepper) < 32:
                raise ConfigError(
                    "PORTAL_ENV=production needs RECEIPT_PEPPER: at least 32 random characters, "
                    "different from SECRET_KEY and never changed (receipt codes depend on it)"
                )
            if self.debug:
                raise ConfigError("PORTAL_ENV=production refuses to run with FLASK_DEBUG on")
        else:
            if not self.secret_key:
                settings = dataclasses.replace(settings, secret_key=_local_secret("secret_key"))
            if not self.receipt_pepper:
                settings = dataclasses.replace(settings, receipt_pepper=_local_secret("receipt_pepper"))
        if not settings.database_url:
            INSTANCE_DIR.mkdir(exist_ok=True)
            settings = dataclasses.replace(
                settings, database_url=f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}"
            )
        return settings

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
        }


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
