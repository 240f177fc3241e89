"""Settings: local defaults work, production refuses what is unsafe (one test per row of RULES)."""
import secrets
import tempfile
from pathlib import Path

import pytest

from portal import create_app
from portal.config import ConfigError, Settings


STRONG = secrets.token_urlsafe(48)
# LOG_KEY_FILE of its own: the developer's instance/ may hold `make run`'s development key.
SAFE_PRODUCTION = {"PORTAL_ENV": "production", "SECRET_KEY": STRONG, "RECEIPT_PEPPER": secrets.token_urlsafe(48),
                   "DATABASE_URL": "sqlite://", "PUBLIC_BASE_URL": "https://yjj.example.gov.cn",
                   "LOG_KEY_FILE": str(Path(tempfile.mkdtemp(prefix="portal-config-test-")) / "publication-log.key")}


def test_production_refuses_to_start_without_a_real_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"PORTAL_ENV": "production", "DATABASE_URL": "sqlite://"}).finalised()
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"PORTAL_ENV": "production", "SECRET_KEY": "change-me"}).finalised()


def test_production_refuses_to_start_without_a_receipt_pepper():
    environ = {"PORTAL_ENV": "production", "SECRET_KEY": STRONG, "RECEIPT_PEPPER": "short"}
    with pytest.raises(ConfigError, match="RECEIPT_PEPPER"):
        Settings.from_env(environ).finalised()


def test_production_refuses_debug():
    environ = {**SAFE_PRODUCTION, "FLASK_DEBUG": "1"}
    with pytest.raises(ConfigError, match="FLASK_DEBUG"):
        Settings.from_env(environ).finalised()




def test_production_with_safe_settings_starts_and_assumes_https():
    app = create_app(Settings.from_env(SAFE_PRODUCTION))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.debug is False
    response = app.test_client().get("/privacy", headers={"Host": "yjj.example.gov.cn"})
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_production_refuses_a_pepper_equal_to_the_secret_key():
    with pytest.raises(ConfigError, match="RECEIPT_PEPPER: must differ from SECRET_KEY"):
        Settings.from_env({**SAFE_PRODUCTION, "RECEIPT_PEPPER": STRONG}).finalised()


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
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL: must be an address"):
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


def _example_file_values(name):
    from portal.config import PROJECT_ROOT

    for line in (PROJECT_ROOT / "deploy/systemd/portal.env").read_text().splitlines():
        if line.startswith(name + "="):
            return line.split("=", 1)[1]
    raise AssertionError(f"{name} is not in portal.env")


@pytest.mark.parametrize("variable", ["SECRET_KEY", "RECEIPT_PEPPER"])
@pytest.mark.parametrize("weak", ["a" * 32, "change-me" * 4, "k" * 48, "password" * 6,
                                  "0123456789abcdefghijklmnopqrstuvwxyz", "portal.env"])
def test_production_refuses_guessable_secrets_and_says_how_to_make_one(variable, weak):
    value = _example_file_values(variable) if weak == "portal.env" else weak
    with pytest.raises(ConfigError, match=rf"{variable}: .*secrets.token_urlsafe\(48\)"):
        Settings.from_env({**SAFE_PRODUCTION, variable: value}).finalised()


def test_the_shipped_placeholders_are_refused_as_public_even_if_they_looked_random():
    from portal import config

    placeholder = _example_file_values("SECRET_KEY")
    assert placeholder in config.example_values()
    assert "example value shipped in the repository" in config.secret_weakness(placeholder)


def test_a_generated_secret_passes():
    from portal.config import secret_weakness

    assert secret_weakness(secrets.token_urlsafe(48)) is None
    assert secret_weakness(secrets.token_urlsafe(32)) is None  # 43 characters, ~143 bits


def test_a_long_secret_is_estimated_not_refused_for_its_length():
    """zxcvbn stops at 72 characters; a longer value (a prefix plus 64 random characters, as the
    browser harness sets) is estimated piece by piece, and a weak long value is still refused."""
    from portal.config import secret_weakness

    assert secret_weakness("e2e-pepper-" + secrets.token_urlsafe(48)) is None
    assert secret_weakness(secrets.token_urlsafe(200)) is None
    assert "too easy to guess" in secret_weakness("a" * 300)
    assert "too easy to guess" in secret_weakness("password" * 20)


@pytest.mark.parametrize("variable, bad, good", [
    ("PAGE_SIZE", "0", "20"), ("PAGE_SIZE", "101", "100"), ("PAGE_SIZE", "-5", "1"),
    ("MAX_CONTENT_LENGTH", "0", "1"), ("MAX_CONTENT_LENGTH", "-1", "16777216"),
    ("TRUSTED_PROXIES", "-1", "0"), ("TRUSTED_PROXIES", "11", "2"),
    ("REPORT_ANSWER_WORKING_DAYS", "0", "5"), ("REPORT_ANSWER_WORKING_DAYS", "61", "60"),
    ("REPORT_RETENTION_DAYS", "0", "1"), ("APPLICATION_RETENTION_DAYS", "0", "1"),
    ("UPLOAD_PIXELS_PER_REQUEST", "100", "50000000"), ("UPLOAD_PIXELS_PER_DAY", "0", "600000000"),
    ("SEARCH_MAX_WORDS", "0", "12"), ("SEARCH_MAX_WORDS", "65", "64"),
])
def test_every_number_is_range_checked_in_every_environment(variable, bad, good):
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({variable: bad}).finalised()
    Settings.from_env({variable: good}).finalised()
    Settings.from_env({**SAFE_PRODUCTION, variable: good}).finalised()


@pytest.mark.parametrize("url", ["https://admin@yjj.example.gov.cn", "https://admin:pw@yjj.example.gov.cn/"])
def test_a_base_url_with_a_user_name_is_refused(url):
    with pytest.raises(ConfigError, match="user name"):
        Settings.from_env({"PUBLIC_BASE_URL": url}).finalised()


def test_backup_recipients_must_be_age_public_keys():
    from pyrage import x25519

    with pytest.raises(ConfigError, match="BACKUP_RECIPIENTS: .*not an age public key"):
        Settings.from_env({"BACKUP_RECIPIENTS": "ssh-rsa AAAA"}).finalised()
    good = str(x25519.Identity.generate().to_public())
    assert Settings.from_env({"BACKUP_RECIPIENTS": f" {good} "}).finalised().backup_recipients == (good,)


@pytest.mark.parametrize("variable", ["METRICS_NETWORKS", "TRUSTED_PROXY_NETWORKS"])
def test_networks_must_be_networks(variable):
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({variable: "10.0.0.0/8,nginx-host"}).finalised()
    assert getattr(Settings.from_env({variable: "10.0.0.0/8, 127.0.0.1"}).finalised(),
                   variable.lower()) == ("10.0.0.0/8", "127.0.0.1")


def test_the_fee_method_is_one_of_two():
    with pytest.raises(ConfigError, match="APPLICATION_FEE_METHOD"):
        Settings.from_env({"APPLICATION_FEE_METHOD": "free"}).finalised()


def test_every_rule_has_a_test_here():
    from pathlib import Path

    from portal.config import RULES

    text = Path(__file__).read_text()
    assert all(f'"{rule.variable}' in text for rule in RULES)


def test_witness_addresses_name_a_configured_witness_and_are_http():
    from nacl.signing import SigningKey

    from portal.publication import tlog

    key = tlog.verifier_key("newsroom.example/w", bytes(SigningKey(b"\x07" * 32).verify_key), tlog.COSIGNATURE_V1)
    with pytest.raises(ConfigError, match="LOG_WITNESS_URLS: 'other.example/w' is not the name of a witness key"):
        Settings.from_env({"LOG_WITNESSES": key, "LOG_WITNESS_URLS": "other.example/w=https://w.example"}).finalised()
    with pytest.raises(ConfigError, match="LOG_WITNESS_URLS: .*not an http"):
        Settings.from_env({"LOG_WITNESSES": key, "LOG_WITNESS_URLS": "newsroom.example/w=file:///etc/passwd"}).finalised()
    settings = Settings.from_env({"LOG_WITNESSES": key, "LOG_WITNESS_URLS": "newsroom.example/w=https://w.example/p"})
    assert settings.finalised().log_witness_urls == ("newsroom.example/w=https://w.example/p",)
