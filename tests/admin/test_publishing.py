"""Review and publish: an editor drafts, a different reviewer publishes, corrections and
withdrawals stay visible. Every path goes through the back office's pages."""
from __future__ import annotations

import re
import threading

import feedparser
from sqlalchemy import func, select

from portal.staff.models import AuditEntry, Role
from portal.disclosures import publishing
from portal.disclosures.models import Disclosure, DisclosureDraft
from portal.extensions import db
from portal.files import file_store
from tests.admin.conftest import make_staff, post, signed_in

DRAFT = {
    "slug": "2026-integrity-inspection-notice",
    "title": "关于开展2026年度政务诚信专项检查的通知",
    "index_no": "MZYJ-2026-00100",
    "doc_no": "梅市应急〔2026〕100号",
    "publisher": "梅州市应急管理局",
    "written_on": "2026-11-20",
    "topic": "政务诚信",
    "disclosure_mode": "主动公开",
    "validity": "有效",
    "departments": ["office", "law-enforcement-supervision"],
    "body": "## 一、检查范围\n\n局机关各科室及矿山救援队。\n\n## 二、检查内容\n\n守信践诺情况。\n",
}


def create_draft(client, **changes) -> int:
    response = post(client, "/admin/drafts/new", {**DRAFT, **changes}, token_from="/admin/drafts/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/admin/drafts/(\d+)$", response.headers["Location"]).group(1))


def draft_state(app, draft_id: int) -> tuple[str, int]:
    with app.app_context():
        draft = db.session.get(DisclosureDraft, draft_id)
        return draft.state, draft.version


def submit(app, client, draft_id: int):
    return post(client, f"/admin/drafts/{draft_id}/submit", {"version": draft_state(app, draft_id)[1]})


def approve(app, client, draft_id: int, version: int | None = None):
    version = draft_state(app, draft_id)[1] if version is None else version
    return post(client, f"/admin/drafts/{draft_id}/approve", {"version": version})


def audit_rows(app, action: str) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(AuditEntry.actor_name, AuditEntry.outcome, AuditEntry.object_id)
            .where(AuditEntry.action == action).order_by(AuditEntry.id)
        )]


def publish(app, editor, reviewer, **changes) -> str:
    draft_id = create_draft(editor, **changes)
    assert submit(app, editor, draft_id).status_code == 303
    response = approve(app, reviewer, draft_id)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def test_the_editor_drafts_the_reviewer_publishes_the_citizen_sees_it(admin_app):
    editor, reviewer = signed_in(admin_app, "editor"), signed_in(admin_app, "reviewer")
    public = admin_app.test_client()
    draft_id = create_draft(editor)
    # Not public while it is a draft or awaiting review.
    assert public.get(f"/disclosures/{DRAFT['slug']}").status_code == 404
    assert submit(admin_app, editor, draft_id).status_code == 303
    assert public.get(f"/disclosures/{DRAFT['slug']}").status_code == 404

    response = approve(admin_app, reviewer, draft_id)
    assert response.headers["Location"].endswith(f"/disclosures/{DRAFT['slug']}")
    page = public.get(f"/disclosures/{DRAFT['slug']}").get_data(as_text=True)
    assert DRAFT["title"] in page and "梅市应急〔2026〕100号" in page and "守信践诺情况" in page
    feed = feedparser.parse(public.get("/disclosures.atom").data)
    assert feed.entries[0].title == DRAFT["title"]
    results = public.get("/api/v1/search?q=专项检查").get_json()
    assert results["results"][0]["title"] == DRAFT["title"]
    assert audit_rows(admin_app, "draft_approved") == [("reviewer", "ok", DRAFT["slug"])]
    assert [row[0] for row in audit_rows(admin_app, "draft_submitted")] == ["editor"]


def test_the_preview_uses_the_public_sanitiser(admin_app):
    editor = signed_in(admin_app, "editor")
    body = "正文 <script>alert(1)</script> [链接](javascript:alert(2)) <b onclick=x>粗</b>"
    response = post(editor, "/admin/drafts/new", {**DRAFT, "body": body, "preview": "1"},
                    token_from="/admin/drafts/new")
    preview = response.get_data(as_text=True).split('id="preview-heading"', 1)[1]
    assert "<script>" not in preview and "javascript:" not in preview and "onclick" not in preview
    assert "粗" in preview
    with admin_app.app_context():  # a preview saves nothing
        assert db.session.scalar(select(func.count()).select_from(DisclosureDraft)) == 0


def test_nobody_approves_their_own_draft(admin_app):
    make_staff(admin_app, "both", Role.EDITOR, Role.REVIEWER)
    both = signed_in(admin_app, "both")
    draft_id = create_draft(both)
    submit(admin_app, both, draft_id)
    response = approve(admin_app, both, draft_id)
    assert response.status_code == 303
    page = both.get(response.headers["Location"]).get_data(as_text=True)
    assert "不能审核自己撰写的草稿" in page
    assert draft_state(admin_app, draft_id)[0] == "submitted"
    assert admin_app.test_client().get(f"/disclosures/{DRAFT['slug']}").status_code == 404
    assert audit_rows(admin_app, "draft_approved") == [("both", "denied", str(draft_id))]


def test_two_reviewers_approving_at_once_publish_once(admin_app):
    make_staff(admin_app, "reviewer2", Role.REVIEWER)
    editor = signed_in(admin_app, "editor")
    draft_id = create_draft(editor)
    submit(admin_app, editor, draft_id)
    _, version = draft_state(admin_app, draft_id)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def review(username: str) -> None:
        with admin_app.app_context():
            reviewer = db.session.scalar(select(publishing.StaffUser).where(publishing.StaffUser.username == username))
            barrier.wait()
            try:
                publishing.approve_draft(draft_id, reviewer, version, file_store())
                outcomes.append("published")
            except publishing.PublishingError as exc:
                outcomes.append(f"refused {exc.status}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=review, args=(name,)) for name in ("reviewer", "reviewer2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["published", "refused 409"]
    with admin_app.app_context():
        disclosure = db.session.scalar(select(Disclosure).where(Disclosure.slug == DRAFT["slug"]))
        assert disclosure.revision == 1 and len(disclosure.revisions) == 1
    assert sorted(outcome for _, outcome, _ in audit_rows(admin_app, "draft_approved")) == ["failed", "ok"]


def test_an_edit_that_races_a_publication_is_refused_and_changes_nothing(admin_app):
    editor, reviewer = signed_in(admin_app, "editor"), signed_in(admin_app, "reviewer")
    draft_id = create_draft(editor)
    _, stale_version = draft_state(admin_app, draft_id)  # the editor opens the edit form...
    submit(admin_app, editor, draft_id)  # ...submits from another tab, and the reviewer publishes
    approve(admin_app, reviewer, draft_id)
    response = post(editor, f"/admin/drafts/{draft_id}/edit",
                    {**DRAFT, "title": "迟到的修改", "version": stale_version, "save": "1"})
    assert response.status_code == 409
    assert "不能修改" in response.get_data(as_text=True) or "已被处理" in response.get_data(as_text=True)
    page = admin_app.test_client().get(f"/disclosures/{DRAFT['slug']}").get_data(as_text=True)
    assert "迟到的修改" not in page and DRAFT["title"] in page


def test_a_stale_version_is_refused_even_while_the_draft_is_editable(admin_app):
    editor = signed_in(admin_app, "editor")
    draft_id = create_draft(editor)
    first = post(editor, f"/admin/drafts/{draft_id}/edit", {**DRAFT, "title": "第一次修改", "version": 1, "save": "1"})
    assert first.status_code == 302
    second = post(editor, f"/admin/drafts/{draft_id}/edit", {**DRAFT, "title": "基于旧版本的修改", "version": 1, "save": "1"})
    assert second.status_code == 409
    with admin_app.app_context():
        assert db.session.get(DisclosureDraft, draft_id).title == "第一次修改"


def test_invalid_metadata_is_refused_field_by_field_and_nothing_is_saved(admin_app):
    editor = signed_in(admin_app, "editor")
    response = post(editor, "/admin/drafts/new", {
        **DRAFT, "slug": "Not A Slug", "written_on": "2020-02-30", "title": "", "departments": ["no-such-dept"],
        "disclosure_mode": "公开吧",
    }, token_from="/admin/drafts/new")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for expected in ("只能用小写字母", "不存在的日期", "不能为空", "应为 主动公开 / 依申请公开", "未知部门"):
        assert expected in page, expected
    assert "Not A Slug" in page  # what was typed is kept, nothing is lost
    [(actor, outcome, _)] = audit_rows(admin_app, "draft_created")
    assert (actor, outcome) == ("editor", "failed")
    with admin_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DisclosureDraft)) == 0


def test_attachments_are_checked_by_content_and_size(admin_app):
    editor, reviewer = signed_in(admin_app, "editor"), signed_in(admin_app, "reviewer")
    draft_id = create_draft(editor)

    def upload(name: str, data: bytes):
        from io import BytesIO

        return post(editor, f"/admin/drafts/{draft_id}/attachments",
                    {"version": draft_state(admin_app, draft_id)[1], "title": "", "file": (BytesIO(data), name)},
                    content_type="multipart/form-data")

    disguised = upload("检查方案.pdf", b"<!doctype html><script>alert(1)</script>")
    assert "内容与扩展名不符" in editor.get(disguised.headers["Location"]).get_data(as_text=True)
    too_big = upload("大文件.pdf", b"%PDF-1.4\n" + b"0" * publishing.MAX_UPLOAD_BYTES)
    assert "文件过大" in editor.get(too_big.headers["Location"]).get_data(as_text=True)
    assert "文件为空" in editor.get(upload("空.pdf", b"").headers["Location"]).get_data(as_text=True)
    assert upload("检查方案.pdf", b"%PDF-1.4\n%%EOF\n").status_code == 303
    assert [outcome for _, outcome, _ in audit_rows(admin_app, "attachment_added")] == ["failed"] * 3 + ["ok"]

    submit(admin_app, editor, draft_id)
    approve(admin_app, reviewer, draft_id)
    public = admin_app.test_client()
    page = public.get(f"/disclosures/{DRAFT['slug']}").get_data(as_text=True)
    assert "检查方案" in page
    file = public.get(f"/disclosures/{DRAFT['slug']}/files/检查方案.pdf")
    assert file.status_code == 200 and file.data == b"%PDF-1.4\n%%EOF\n"


def test_a_request_larger_than_the_limit_gets_the_413_page(make_app, published_app):
    app = published_app
    app.config["MAX_CONTENT_LENGTH"] = 1024
    make_staff(app, "editor", Role.EDITOR)
    editor = signed_in(app, "editor")
    response = post(editor, "/admin/drafts/new", {**DRAFT, "body": "长" * 2000}, token_from="/admin/drafts/new")
    assert response.status_code == 413 and "超过了大小限制" in response.get_data(as_text=True)


def test_a_correction_is_reviewed_and_shown_in_the_history(admin_app):
    editor, reviewer = signed_in(admin_app, "editor"), signed_in(admin_app, "reviewer")
    publish(admin_app, editor, reviewer)
    response = post(editor, f"/admin/disclosures/{DRAFT['slug']}/correct", token_from="/admin/disclosures")
    correction_id = int(re.search(r"/admin/drafts/(\d+)/edit$", response.headers["Location"]).group(1))
    post(editor, f"/admin/drafts/{correction_id}/edit", {
        **{key: value for key, value in DRAFT.items() if key != "slug"},  # the form has no slug field
        "title": "关于开展2026年度政务诚信专项检查的通知（更正）",
        "body": DRAFT["body"].replace("守信践诺情况。", "守信践诺和失信惩戒情况。"),
        "correction_reason": "补充检查内容", "version": 1, "save": "1",
    })
    assert submit(admin_app, editor, correction_id).status_code == 303
    # The public page shows the first version until the correction is approved.
    public = admin_app.test_client()
    assert "失信惩戒" not in public.get(f"/disclosures/{DRAFT['slug']}").get_data(as_text=True)
    approve(admin_app, reviewer, correction_id)

    page = public.get(f"/disclosures/{DRAFT['slug']}").get_data(as_text=True)
    assert "修订记录" in page and "补充检查内容" in page and "第 2 版" in page
    assert "守信践诺和失信惩戒情况" in page
    assert "<del>关于开展2026年度政务诚信专项检查的通知</del>" in page
    data = public.get(f"/api/v1/disclosures/{DRAFT['slug']}").get_json()
    assert data["revision"] == 2
    assert [r["action"] for r in data["revisions"]] == ["published", "corrected"]
    body_change = next(c for c in data["revisions"][1]["changes"] if c["field"] == "body")
    assert "+守信践诺和失信惩戒情况。" in body_change["diff"]
    assert public.get("/api/v1/search?q=失信惩戒情况").get_json()["results"][0]["url"].endswith(DRAFT["slug"])


def test_a_correction_without_a_reason_cannot_be_submitted(admin_app):
    editor, reviewer = signed_in(admin_app, "editor"), signed_in(admin_app, "reviewer")
    publish(admin_app, editor, reviewer)
    response = post(editor, f"/admin/disclosures/{DRAFT['slug']}/correct", token_from="/admin/disclosures")
    correction_id = int(re.search(r"/admin/drafts/(\d+)/edit$", response.headers["Location"]).group(1))
    response = submit(admin_app, editor, correction_id)
    assert "请填写更正原因" in editor.get(response.headers["Location"]).get_data(as_text=True)
    assert draft_state(admin_app, correction_id)[0] == "draft"


def test_a_withdrawn_disclosure_answers_410_with_its_reason_and_leaves_lists_and_search(admin_app):
    editor, reviewer = signed_in(admin_app, "editor"), signed_in(admin_app, "reviewer")
    publish(admin_app, editor, reviewer)
    public = admin_app.test_client()
    def found() -> list[str]:
        return [item["url"] for item in public.get("/api/v1/search?q=专项检查").get_json()["results"]]

    assert any(url.endswith(DRAFT["slug"]) for url in found())

    refused = post(reviewer, f"/admin/disclosures/{DRAFT['slug']}/withdraw", {"reason": ""})
    assert refused.status_code == 400
    response = post(reviewer, f"/admin/disclosures/{DRAFT['slug']}/withdraw", {"reason": "检查安排调整，另行通知"})
    assert response.status_code == 302

    gone = public.get(f"/disclosures/{DRAFT['slug']}")
    assert gone.status_code == 410
    assert "检查安排调整，另行通知" in gone.get_data(as_text=True) and DRAFT["title"] in gone.get_data(as_text=True)
    assert public.get(f"/api/v1/disclosures/{DRAFT['slug']}").status_code == 410
    assert DRAFT["title"] not in public.get("/disclosures/").get_data(as_text=True)
    assert all(entry.title != DRAFT["title"] for entry in feedparser.parse(public.get("/disclosures.atom").data).entries)
    assert not any(url.endswith(DRAFT["slug"]) for url in found())
    assert DRAFT["slug"] not in public.get("/sitemap.xml").get_data(as_text=True)
    assert audit_rows(admin_app, "disclosure_withdrawn") == [("reviewer", "ok", DRAFT["slug"])]


def test_an_editor_cannot_withdraw_and_a_reviewer_cannot_draft(admin_app):
    editor, reviewer = signed_in(admin_app, "editor"), signed_in(admin_app, "reviewer")
    publish(admin_app, editor, reviewer)
    assert post(editor, f"/admin/disclosures/{DRAFT['slug']}/withdraw", {"reason": "x"}).status_code == 403
    assert post(reviewer, "/admin/drafts/new", DRAFT).status_code == 403
    assert [row[1] for row in audit_rows(admin_app, "access_denied")] == ["denied", "denied"]


def test_a_slug_taken_after_drafting_is_refused_at_approval(admin_app):
    editor, reviewer = signed_in(admin_app, "editor"), signed_in(admin_app, "reviewer")
    draft_id = create_draft(editor, slug="2020-integrity-plan")  # already published by the import
    submit(admin_app, editor, draft_id)
    response = approve(admin_app, reviewer, draft_id)
    assert "已被已发布的文件使用" in reviewer.get(response.headers["Location"]).get_data(as_text=True)
    assert draft_state(admin_app, draft_id)[0] == "submitted"
    assert audit_rows(admin_app, "publication_refused")[0][:2] == ("reviewer", "failed")


def test_a_returned_draft_goes_back_to_its_author_with_the_comment(admin_app):
    editor, reviewer = signed_in(admin_app, "editor"), signed_in(admin_app, "reviewer")
    draft_id = create_draft(editor)
    submit(admin_app, editor, draft_id)
    version = draft_state(admin_app, draft_id)[1]
    post(reviewer, f"/admin/drafts/{draft_id}/return", {"version": version, "comment": "请补充文号"})
    assert draft_state(admin_app, draft_id)[0] == "returned"
    assert "请补充文号" in editor.get(f"/admin/drafts/{draft_id}/edit").get_data(as_text=True)
    assert submit(admin_app, editor, draft_id).status_code == 303
    assert draft_state(admin_app, draft_id)[0] == "submitted"


def test_an_editor_cannot_see_another_editors_draft(admin_app):
    make_staff(admin_app, "editor2", Role.EDITOR)
    editor, other = signed_in(admin_app, "editor"), signed_in(admin_app, "editor2")
    draft_id = create_draft(editor)
    assert other.get(f"/admin/drafts/{draft_id}").status_code == 404
    assert post(other, f"/admin/drafts/{draft_id}/submit", {"version": 1}).status_code == 404


def test_an_import_that_changes_a_published_disclosure_is_recorded_in_its_history(published_app, tmp_path):
    import shutil

    from portal.publication.content import import_content
    from portal.disclosures.services import IMPORT_REASON
    from tests.conftest import CONTENT_DIR

    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    path = content / "disclosures" / "2020-integrity-plan.md"
    path.write_text(path.read_text(encoding="utf-8").replace("政务诚信建设", "政务诚信建设工作", 1), encoding="utf-8")
    with published_app.app_context():
        import_content(content, file_store())
    data = published_app.test_client().get("/api/v1/disclosures/2020-integrity-plan").get_json()
    assert data["revision"] == 2
    assert data["revisions"][1]["reason"] == IMPORT_REASON


def test_the_audit_log_is_append_only(admin_app):
    import pytest

    from portal.staff.models import AuditLogIsAppendOnly

    signed_in(admin_app, "editor")
    with admin_app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "login"))
        entry.detail = "rewritten"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.delete(db.session.scalar(select(AuditEntry)))
            db.session.commit()


def test_auditors_read_and_export_the_log(admin_app):
    editor, reviewer = signed_in(admin_app, "editor"), signed_in(admin_app, "reviewer")
    publish(admin_app, editor, reviewer)
    auditor = signed_in(admin_app, "auditor")
    page = auditor.get("/admin/audit").get_data(as_text=True)
    assert "审核通过并发布" in page and "reviewer" in page
    export = auditor.get("/admin/audit.csv")
    text = export.get_data(as_text=True)
    assert text.startswith("\ufeffid,at_utc,actor,action")
    assert ",reviewer,draft_approved,disclosure,2026-integrity-inspection-notice,ok," in text
    assert ",editor,draft_created,draft," in text
    assert auditor.get("/admin/audit?action=draft_approved").get_data(as_text=True).count("<tr>") == 2
    assert editor.get("/admin/audit").status_code == 403


def _correct(app, editor, reviewer, body: str, reason: str, redaction: bool = False) -> None:
    response = post(editor, f"/admin/disclosures/{DRAFT['slug']}/correct", token_from="/admin/disclosures")
    correction_id = int(re.search(r"/admin/drafts/(\d+)/edit$", response.headers["Location"]).group(1))
    form = {**{key: value for key, value in DRAFT.items() if key != "slug"}, "body": body,
            "correction_reason": reason, "version": 1, "save": "1"}
    if redaction:
        form["redaction"] = "1"
    post(editor, f"/admin/drafts/{correction_id}/edit", form)
    assert submit(app, editor, correction_id).status_code == 303
    assert approve(app, reviewer, correction_id).status_code in (302, 303)


def test_a_redaction_removes_text_from_the_page_and_from_every_earlier_diff(admin_app):
    editor, reviewer = signed_in(admin_app, "editor"), signed_in(admin_app, "reviewer")
    publish(admin_app, editor, reviewer)
    leaked = DRAFT["body"] + "\n联系人：张三，手机 13912345678。\n"
    _correct(admin_app, editor, reviewer, leaked, "补充联系人")  # the mistake: personal data published
    public = admin_app.test_client()
    assert "13912345678" in public.get(f"/disclosures/{DRAFT['slug']}").get_data(as_text=True)
    _correct(admin_app, editor, reviewer, DRAFT["body"], "删除误发的个人信息", redaction=True)

    page = public.get(f"/disclosures/{DRAFT['slug']}").get_data(as_text=True)
    api = public.get(f"/api/v1/disclosures/{DRAFT['slug']}").get_data(as_text=True)
    for where in (page, api):
        assert "13912345678" not in where and "张三" not in where
    assert "删除处理" in page and "删除误发的个人信息" in page and "删除的内容不再公开" in page
    assert [r["action"] for r in public.get(f"/api/v1/disclosures/{DRAFT['slug']}").get_json()["revisions"]] == [
        "published", "corrected", "redacted"]
    assert not public.get("/api/v1/search?q=13912345678").get_json()["results"]
    assert any("删除处理" in detail for detail in _audit_details(admin_app, "draft_approved"))


def test_a_withdrawn_page_shows_no_removed_text(admin_app):
    editor, reviewer = signed_in(admin_app, "editor"), signed_in(admin_app, "reviewer")
    publish(admin_app, editor, reviewer)
    _correct(admin_app, editor, reviewer, DRAFT["body"].replace("守信践诺情况。", "守信践诺情况，另见附表。"), "补充")
    post(reviewer, f"/admin/disclosures/{DRAFT['slug']}/withdraw", {"reason": "内容有误"})
    gone = admin_app.test_client().get(f"/disclosures/{DRAFT['slug']}").get_data(as_text=True)
    assert "修订记录" in gone and "正文有修改" in gone
    assert "另见附表" not in gone and "守信践诺情况" not in gone


def _audit_details(app, action: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == action)))
