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


SAFE_PRODUCTION = {"PORTAL_ENV": "production", "SECRET_KEY": "k" * 40, "RECEIPT_PEPPER": "p" * 40,
                   "DATABASE_URL": "sqlite://", "PUBLIC_BASE_URL": "https://yjj.example.gov.cn"}


def test_production_with_safe_settings_starts_and_assumes_https():
    app = create_app(Settings.from_env(SAFE_PRODUCTION))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.debug is False
    response = app.test_client().get("/privacy", headers={"Host": "yjj.example.gov.cn"})
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_production_refuses_a_pepper_equal_to_the_secret_key():
    with pytest.raises(ConfigError, match="RECEIPT_PEPPER must differ from SECRET_KEY"):
        Settings.from_env({**SAFE_PRODUCTION, "RECEIPT_PEPPER": "k" * 40}).finalised()


def test_production_needs_a_public_base_url_over_https_unless_plain_http_is_chosen():
    without = dict(SAFE_PRODUCTION)
    del without["PUBLIC_BASE_URL"]
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        Settings.from_env(without).finalised()
    with pytest.raises(ConfigError, match="PORTAL_PLAIN_HTTP=1"):
        Settings.from_env({**SAFE_PRODUCTION, "PUBLIC_BASE_URL": "http://yjj.example.gov.cn"}).finalised()
    plain = Settings.from_env({**SAFE_PRODUCTION, "PUBLIC_BASE_URL": "http://10.1.2.3:8080",
                               "PORTAL_PLAIN_HTTP": "1"}).finalised()
    assert plain.https is False and plain.flask_config()["SESSION_COOKIE_SECURE"] is False
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL must be an address"):
        Settings.from_env({**SAFE_PRODUCTION, "PUBLIC_BASE_URL": "yjj.example.gov.cn"}).finalised()


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
