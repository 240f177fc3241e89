"""Settings: local defaults work, production refuses what is unsafe."""
import pytest

from portal import create_app
from portal.config import ConfigError, Settings


def test_production_refuses_to_start_without_a_real_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"PORTAL_ENV": "production", "DATABASE_URL": "sqlite://"}).finalised()
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"PORTAL_ENV": "production", "SECRET_KEY": "change-me"}).finalised()


def test_production_refuses_to_start_without_a_receipt_pepper():
    environ = {"PORTAL_ENV": "production", "SECRET_KEY": "k" * 40, "RECEIPT_PEPPER": "short"}
    with pytest.raises(ConfigError, match="RECEIPT_PEPPER"):
        Settings.from_env(environ).finalised()


def test_production_refuses_debug():
    environ = {"PORTAL_ENV": "production", "SECRET_KEY": "k" * 40, "RECEIPT_PEPPER": "p" * 40, "FLASK_DEBUG": "1"}
    with pytest.raises(ConfigError, match="FLASK_DEBUG"):
        Settings.from_env(environ).finalised()


def test_production_with_safe_settings_starts():
    environ = {"PORTAL_ENV": "production", "SECRET_KEY": "k" * 40, "RECEIPT_PEPPER": "p" * 40,
               "DATABASE_URL": "sqlite://", "PORTAL_HTTPS": "1"}
    app = create_app(Settings.from_env(environ))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.debug is False


def test_local_defaults_need_no_variables():
    settings = Settings.from_env({}).finalised()
    assert settings.env == "development"
    assert len(settings.secret_key) >= 32
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("instance/portal.sqlite3")


def test_postgres_urls_use_the_shipped_driver():
    settings = Settings.from_env({"DATABASE_URL": "postgres://u@127.0.0.1/db"}).finalised()
    assert settings.flask_config()["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1/db"


def test_bad_numbers_and_environments_are_named():
    with pytest.raises(ConfigError, match="PAGE_SIZE"):
        Settings.from_env({"PAGE_SIZE": "many"})
    with pytest.raises(ConfigError, match="PORTAL_ENV"):
        Settings.from_env({"PORTAL_ENV": "staging"}).finalised()
