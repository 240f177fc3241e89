"""The optional proof of work: a solved challenge earns a looser limit; none is ever required."""
from __future__ import annotations

import re

from portal.reports import proof_of_work
from tests.reports.conftest import form_tokens, report_form

CHALLENGE_RE = re.compile(r'name="pow_challenge" value="([^"]+)"')


def _challenge(client) -> str:
    return CHALLENGE_RE.search(client.get("/report/").get_data(as_text=True)).group(1)


def _post(client, challenge="", nonce=""):
    data = {**report_form(), **form_tokens(client), "pow_challenge": challenge, "pow_nonce": nonce}
    return client.post("/report/", data=data)


def test_solved_challenges_are_good_once_and_forgeries_are_not(app):
    client = app.test_client()
    challenge = _challenge(client)
    nonce = proof_of_work.solve(challenge)
    with app.test_request_context():
        assert proof_of_work.is_proven(challenge, nonce)
        assert not proof_of_work.is_proven(challenge, nonce)  # spent
        forged = challenge[:-2] + ("AA" if not challenge.endswith("AA") else "BB")
        assert not proof_of_work.is_proven(forged, proof_of_work.solve(forged))
        assert not proof_of_work.is_proven(challenge, "not a number")


def test_with_proof_of_work_a_busy_address_gets_more_room_and_without_it_the_form_still_works(app):
    client = app.test_client()
    assert [_post(client).status_code for _ in range(11)] == [200] * 10 + [429]  # no JavaScript: plain limit
    challenge = _challenge(client)
    assert _post(client, challenge, proof_of_work.solve(challenge)).status_code == 200
    assert _post(client, challenge, proof_of_work.solve(challenge)).status_code == 429  # replay: plain limit


def test_the_form_loads_its_script_from_this_site_only(client):
    page = client.get("/report/").get_data(as_text=True)
    assert '<script src="/static/js/proof-of-work.js" defer></script>' in page
    assert client.get("/static/js/proof-of-work.js").status_code == 200


def test_no_asset_request_is_unique_to_the_reporting_pages(client):
    """The form's script is loaded by every page, so fetching it says nothing about who opened the
    form; and nginx writes no line for /static/ at all."""
    import re
    from pathlib import Path

    def assets(path):
        return set(re.findall(r'(?:src|href)="(/static/[^"]+)"', client.get(path).get_data(as_text=True)))

    report_assets = assets("/report/") | assets("/report/follow-up") | assets("/apply/")
    elsewhere = assets("/") & assets("/privacy") & assets("/disclosures/")
    assert "/static/js/proof-of-work.js" in report_assets and report_assets <= elsewhere
    nginx = (Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "portal.conf").read_text()
    assert re.search(r"~\^/static/\s+0;", nginx)
