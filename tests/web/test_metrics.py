"""/metrics: Prometheus' format, only for the configured networks, with request counts by
endpoint, the search index's lag and the desks' queues — and nothing of the reporting or
application pages, whose timing would date a report."""
from __future__ import annotations

import pytest


@pytest.fixture
def watched(make_app):
    return make_app(metrics_networks=("10.1.0.0/16",))


def _scrape(app, address="10.1.2.3"):
    return app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": address})


def test_metrics_answer_only_the_monitoring_network(watched, app):
    assert _scrape(watched, "203.0.113.9").status_code == 404
    assert _scrape(app, "10.1.2.3").status_code == 404  # not configured: nobody
    response = _scrape(watched)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"


def test_requests_are_counted_by_endpoint_but_never_the_reporting_pages(watched):
    client = watched.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    client.get("/disclosures/")
    client.get("/no-such-page")
    client.get("/report/")
    client.get("/apply/")
    text = _scrape(watched).get_data(as_text=True)
    assert 'portal_requests_total{endpoint="disclosures.catalogue",method="GET",status="200"}' in text
    assert 'endpoint="unmatched",method="GET",status="404"' in text
    assert "portal_request_seconds_bucket" in text
    assert "reports." not in text and "applications." not in text and "/report" not in text
    assert "198.51.100.23" not in text


def test_the_index_lag_and_the_queues_are_reported(watched):
    from portal.applications import services as applications
    from portal.extensions import db

    with watched.app_context():
        applications.submit(applications.parse_form({
            "applicant_type": "natural", "name": "指标", "id_type": "resident_id", "id_number": "M-1", "phone": "1",
            "description": "申请获取用于指标测试的文件。", "form_wanted": "paper", "delivery": "pickup"}))
        db.session.remove()
    # Arrived today: the queue as of the last completed day does not show it yet.
    assert 'portal_applications_open{status="received"}' not in _scrape(watched).get_data(as_text=True)
    import datetime as dt

    from sqlalchemy import update

    from portal.applications.models import Application
    from portal.clock import today

    with watched.app_context():
        db.session.execute(update(Application).values(received_on=today() - dt.timedelta(days=1)))
        db.session.commit()
        db.session.remove()
    text = _scrape(watched).get_data(as_text=True)
    assert 'portal_applications_open{status="received"} 1.0' in text
    assert "portal_publication_log_entries 0.0" in text
    assert "portal_search_pending_entries" in text


def test_a_report_arriving_today_moves_no_gauge(watched):
    from portal.extensions import db
    from portal.reports import services as reports

    before = [line for line in _scrape(watched).get_data(as_text=True).splitlines() if "portal_reports_open" in line]
    with watched.app_context():
        reports.create_desk_key("desk passphrase for tests")
        entry = reports.parse_report_form({"category": "other", "anonymity": "anonymous",
                                           "description": "指标测试用的举报内容：窗口工作人员超时未办结。"})
        reports.submit_report(entry, [])
        db.session.remove()
    after = [line for line in _scrape(watched).get_data(as_text=True).splitlines() if "portal_reports_open" in line]
    assert after == before


def test_invented_methods_share_one_label(watched):
    client = watched.test_client()
    for number in range(30):
        client.open("/disclosures/", method=f"X{number}")
    text = _scrape(watched).get_data(as_text=True)
    assert 'method="other"' in text and 'method="X1"' not in text
