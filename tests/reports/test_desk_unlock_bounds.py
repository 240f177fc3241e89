"""The desk unlock is a guess at a passphrase worth ~1 s and 256 MiB of Argon2id: like a login it
takes one of the machine's hashing slots and is throttled per account (#25, item 4)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.reports import crypto
from portal.staff import accounts, passwords
from portal.staff.models import AuditEntry, Role
from tests.admin.conftest import make_staff, post, signed_in
from tests.reports.conftest import PASSPHRASE


@pytest.fixture
def handler(app):
    make_staff(app, "handler", Role.REPORT_HANDLER)
    return signed_in(app, "handler")


@pytest.fixture
def guesses(monkeypatch):
    """How many times the Argon2 derivation actually ran."""
    ran = []
    real = crypto.unlock_desk_key

    def counted(*args, **kwargs):
        ran.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(crypto, "unlock_desk_key", counted)
    return ran


def test_guessing_the_passphrase_from_one_account_is_throttled(app, handler, guesses):
    statuses = [post(handler, "/admin/reports/unlock", {"passphrase": f"guess number {n}"}).status_code
                for n in range(accounts.FREE_FAILURES + 3)]
    assert statuses[:accounts.FREE_FAILURES] == [400] * accounts.FREE_FAILURES
    assert statuses[accounts.FREE_FAILURES:] == [429] * 3
    assert len(guesses) == accounts.FREE_FAILURES  # a throttled guess costs no Argon2 run

    # Even the right passphrase waits now, and the page says for how long.
    response = post(handler, "/admin/reports/unlock", {"passphrase": PASSPHRASE})
    assert response.status_code == 429 and "口令错误次数过多" in response.get_data(as_text=True)
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_name == "handler")).all()
    assert actions.count("desk_unlock_failed") == accounts.FREE_FAILURES
    assert "desk_unlock_throttled" in actions

    # The handler's own login is not locked by their wrong passphrases.
    again = signed_in(app, "handler")
    assert again.get("/admin/").status_code == 200


def test_another_handler_is_not_throttled_by_the_first(app, handler, guesses):
    for n in range(accounts.FREE_FAILURES + 1):
        post(handler, "/admin/reports/unlock", {"passphrase": f"guess number {n}"})
    make_staff(app, "second", Role.REPORT_HANDLER)
    second = signed_in(app, "second")
    assert post(second, "/admin/reports/unlock", {"passphrase": PASSPHRASE}).status_code == 302


def test_a_right_passphrase_clears_the_count(app, handler, guesses):
    for n in range(accounts.FREE_FAILURES - 1):
        post(handler, "/admin/reports/unlock", {"passphrase": f"guess number {n}"})
    assert post(handler, "/admin/reports/unlock", {"passphrase": PASSPHRASE}).status_code == 302
    for n in range(accounts.FREE_FAILURES - 1):
        assert post(handler, "/admin/reports/unlock", {"passphrase": f"again {n}"}).status_code == 400


def test_when_every_hashing_slot_is_taken_an_unlock_is_told_to_retry(app, handler, guesses, monkeypatch):
    monkeypatch.setattr(passwords.HASHING, "size", 1)
    with passwords.hashing_slot():  # a login or another unlock is hashing
        response = post(handler, "/admin/reports/unlock", {"passphrase": PASSPHRASE})
        assert response.status_code == 503 and "系统繁忙" in response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "5"
    assert guesses == []  # refused before any Argon2 work
    assert post(handler, "/admin/reports/unlock", {"passphrase": PASSPHRASE}).status_code == 302
