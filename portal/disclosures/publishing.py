"""Drafts of disclosures: written by editors, published when a different person approves.

The back office's views call these functions and nothing else writes a draft. Each function is
one transaction with its audit entry; a refused action raises a domain error with a message for
the staff member, leaves nothing half-written and is itself recorded in the audit log.

The review itself (states, the two-person rule, the version every write names, the audit
entries) is the shared workflow of portal.review; this module adds what is particular to a
disclosure: its fields, attachments, corrections, redactions and withdrawal.
"""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update

from portal import publication, review
from portal.publication import log as publication_log
from portal.staff import audit
from portal.staff.models import Role, StaffUser
from portal.disclosures.content import AttachmentRecord, DisclosureRecord, check_disclosure_fields
from portal.disclosures.vocabulary import MODE_LABELS, VALIDITY_LABELS
from portal.departments.models import Department
from portal.disclosures import services
from portal.clock import today, utcnow
from portal.disclosures.models import Disclosure, DisclosureDraft, DisclosureRevision, DraftAttachment
from portal.disclosures import KIND
from portal.extensions import db
from portal.files import AttachmentRefused, FileStore, check_attachment

DRAFT_FIELDS = ("slug", "title", "index_no", "doc_no", "publisher", "written_on", "topic",
                "disclosure_mode", "validity", "departments")
MAX_BODY_CHARS = 200_000
MAX_REASON_CHARS = review.MAX_COMMENT_CHARS
# Uploads through the back office; the request itself is capped by MAX_CONTENT_LENGTH.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 20


# Every refused action on a draft, the review's own refusals included.
PublishingError = review.ReviewRefused

REVIEW = review.Workflow(
    model=DisclosureDraft, audit_type="draft", action_prefix="draft", noun="草稿", authored="撰写",
    audit_id=lambda draft: draft.id,
)


class DraftNotFound(LookupError):
    pass


# --- reading -------------------------------------------------------------------------------

def get_draft(draft_id: int) -> DisclosureDraft:
    draft = db.session.get(DisclosureDraft, draft_id)
    if draft is None:
        raise DraftNotFound(draft_id)
    return draft


def drafts_by(author: StaffUser) -> list[DisclosureDraft]:
    return list(db.session.scalars(
        select(DisclosureDraft).where(DisclosureDraft.author_id == author.id)
        .order_by(DisclosureDraft.updated_at.desc(), DisclosureDraft.id.desc())
    ))


def drafts_awaiting_review() -> list[DisclosureDraft]:
    return REVIEW.awaiting()


def may_read(draft: DisclosureDraft, staff: StaffUser) -> bool:
    """Authors read their own drafts; reviewers read what is submitted or they decided."""
    return draft.author_id == staff.id or (
        staff.has_role(Role.REVIEWER) and (draft.state != review.DRAFT or draft.reviewer_id == staff.id)
    )


def draft_form_values(draft: DisclosureDraft | None) -> dict:
    """The values a draft form starts with: a new draft's defaults, or the draft's."""
    if draft is None:
        return {"publisher": "梅州市应急管理局", "disclosure_mode": "主动公开", "validity": "有效", "departments": []}
    return {
        "slug": draft.slug, "title": draft.title, "index_no": draft.index_no, "doc_no": draft.doc_no or "",
        "publisher": draft.publisher, "written_on": draft.written_on.isoformat() if draft.written_on else "",
        "topic": draft.topic, "disclosure_mode": MODE_LABELS[draft.disclosure_mode],
        "validity": VALIDITY_LABELS[draft.validity], "departments": list(draft.departments),
        "body": draft.body, "correction_reason": draft.correction_reason, "redaction": draft.redaction,
    }


# --- writing drafts ------------------------------------------------------------------------

def _parse(form: Mapping, correction: bool) -> dict:
    """Check a draft form with the importer's rules; raise PublishingError listing every field."""
    values, errors = check_disclosure_fields(form, DRAFT_FIELDS)
    body = (form.get("body") or "").replace("\r\n", "\n").strip()
    if not body:
        errors["body"] = "正文不能为空 (the body is empty)"
    elif len(body) > MAX_BODY_CHARS:
        errors["body"] = f"正文过长：最多 {MAX_BODY_CHARS} 个字符"
    elif "\x00" in body:
        errors["body"] = "正文含有控制字符 (contains control characters)"
    values["body"] = body + "\n"
    reason = (form.get("correction_reason") or "").strip()
    if correction and len(reason) > MAX_REASON_CHARS:
        errors["correction_reason"] = f"更正原因最多 {MAX_REASON_CHARS} 个字符"
    values["correction_reason"] = reason if correction else ""
    values["redaction"] = correction and form.get("redaction") == "1"
    known = set(db.session.scalars(select(Department.slug)))
    unknown = [slug for slug in values.get("departments", ()) if slug not in known]
    if unknown:
        errors["departments"] = f"未知部门 (unknown department): {', '.join(unknown)}"
    if errors:
        raise PublishingError("草稿未保存：请修改标出的字段。", errors)
    values["departments"] = list(values.get("departments", ()))
    values.setdefault("doc_no", None)
    values.setdefault("written_on", None)
    values.setdefault("validity", "valid")
    return values


def _parse_or_record(form: Mapping, correction: bool, author: StaffUser, action: str, draft_id: object = ""):
    try:
        return _parse(form, correction)
    except PublishingError as exc:
        # The attempt is recorded with the fields that were wrong, never with what was typed.
        audit.record_now(author, action, "draft", draft_id, outcome="failed",
                         detail="字段有误: " + ", ".join(sorted(exc.errors)))
        raise


def create_draft(form: Mapping, author: StaffUser) -> DisclosureDraft:
    REVIEW.require(author, Role.EDITOR, "draft_created")
    values = _parse_or_record(form, False, author, "draft_created")
    draft = DisclosureDraft(author_id=author.id, state=review.DRAFT, version=1, updated_at=utcnow(), **values)
    db.session.add(draft)
    db.session.flush()
    audit.record(author, "draft_created", "draft", draft.id, detail=draft.slug)
    db.session.commit()
    return draft


def save_draft(draft_id: int, form: Mapping, author: StaffUser, expected_version: int) -> DisclosureDraft:
    draft = _own_editable_draft(draft_id, author, "draft_saved")
    if draft.is_correction:
        form = {**form, "slug": draft.slug}  # a permalink is a promise: a correction keeps the address
    values = _parse_or_record(form, draft.is_correction, author, "draft_saved", draft.id)
    REVIEW.claim(draft, expected_version, review.EDITABLE, author, "draft_saved", **values)
    audit.record(author, "draft_saved", "draft", draft.id, detail=draft.slug)
    db.session.commit()
    return draft


def add_attachment(draft_id: int, filename: str, data: bytes, title: str, author: StaffUser,
                   expected_version: int, store: FileStore) -> DraftAttachment:
    draft = _own_editable_draft(draft_id, author, "attachment_added")
    filename = (filename or "").strip()
    title = (title or "").strip() or filename.rsplit(".", 1)[0]
    try:
        if len(data) == 0:
            raise AttachmentRefused("文件为空 (the file is empty)")
        if len(data) > MAX_UPLOAD_BYTES:
            raise AttachmentRefused(f"文件过大：最大 {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
        media_type = check_attachment(filename, len(data), data[:512])
        if len(title) > 200 or any(ord(ch) < 32 for ch in title):
            raise AttachmentRefused("附件标题最多 200 个字符，且不能含控制字符")
        if any(a.filename == filename for a in draft.attachments):
            raise AttachmentRefused("已有同名附件")
        if len(draft.attachments) >= MAX_ATTACHMENTS:
            raise AttachmentRefused(f"附件最多 {MAX_ATTACHMENTS} 个")
    except AttachmentRefused as exc:
        audit.record_now(author, "attachment_added", "draft", draft.id, outcome="failed", detail=str(exc))
        raise PublishingError(f"附件未上传：{exc}", {"file": str(exc)}) from exc
    # Stored before the row: a file without a row is harmless (content-addressed, reused),
    # a row without its file would not be.
    sha256 = store.put(data)
    REVIEW.claim(draft, expected_version, review.EDITABLE, author, "attachment_added")
    attachment = DraftAttachment(
        draft_id=draft.id, position=len(draft.attachments), title=title, filename=filename,
        media_type=media_type, size=len(data), sha256=sha256,
    )
    db.session.add(attachment)
    audit.record(author, "attachment_added", "draft", draft.id, detail=filename)
    db.session.commit()
    return attachment


def remove_attachment(draft_id: int, attachment_id: int, author: StaffUser, expected_version: int) -> None:
    draft = _own_editable_draft(draft_id, author, "attachment_removed")
    attachment = next((a for a in draft.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise PublishingError("附件不存在。")
    REVIEW.claim(draft, expected_version, review.EDITABLE, author, "attachment_removed")
    db.session.delete(attachment)
    audit.record(author, "attachment_removed", "draft", draft.id, detail=attachment.filename)
    db.session.commit()


def submit_draft(draft_id: int, author: StaffUser, expected_version: int) -> None:
    draft = _own_editable_draft(draft_id, author, "draft_submitted")
    if draft.is_correction and not draft.correction_reason:
        audit.record_now(author, "draft_submitted", "draft", draft.id, outcome="failed", detail="缺少更正原因")
        raise PublishingError("提交更正前请填写更正原因。", {"correction_reason": "请填写更正原因"})
    REVIEW.submit(draft, author, expected_version, detail=draft.slug)
    db.session.commit()


def start_correction(slug: str, author: StaffUser) -> DisclosureDraft:
    """A draft holding a published disclosure's current text, to be corrected and reviewed."""
    REVIEW.require(author, Role.EDITOR, "correction_started")
    disclosure = services.get_disclosure(slug)
    if disclosure.is_withdrawn:
        raise PublishingError("已撤回的文件不能更正。")
    pending = db.session.scalar(select(DisclosureDraft).where(
        DisclosureDraft.disclosure_id == disclosure.id, DisclosureDraft.state != review.PUBLISHED
    ))
    if pending is not None:
        raise PublishingError(f"该文件已有一份未完成的更正（草稿 {pending.id}），请先完成或在其上修改。")
    draft = DisclosureDraft(
        disclosure_id=disclosure.id, base_revision=disclosure.revision, author_id=author.id, state=review.DRAFT,
        version=1, updated_at=utcnow(),
        slug=disclosure.slug, title=disclosure.title, index_no=disclosure.index_no, doc_no=disclosure.doc_no,
        publisher=disclosure.publisher, written_on=disclosure.written_on, topic=disclosure.topic,
        disclosure_mode=disclosure.disclosure_mode, validity=disclosure.validity, body=disclosure.body,
        departments=[d.slug for d in disclosure.departments],
        attachments=[
            DraftAttachment(position=a.position, title=a.title, filename=a.filename, media_type=a.media_type,
                            size=a.size, sha256=a.sha256)
            for a in disclosure.attachments
        ],
    )
    db.session.add(draft)
    db.session.flush()
    audit.record(author, "correction_started", "disclosure", slug, detail=f"草稿 {draft.id}")
    db.session.commit()
    return draft


# --- review --------------------------------------------------------------------------------

def return_draft(draft_id: int, reviewer: StaffUser, comment: str, expected_version: int) -> None:
    draft = get_draft(draft_id)
    REVIEW.return_to_author(draft, reviewer, comment, expected_version, detail=draft.slug)
    db.session.commit()


def approve_draft(draft_id: int, reviewer: StaffUser, expected_version: int, store: FileStore) -> Disclosure:
    """Publish a submitted draft: on the site, in the feed and in search at once.

    The draft is claimed by a conditional update, so of two reviewers approving at once one
    publishes and the other is told; the disclosure is written in the same transaction."""
    draft = get_draft(draft_id)
    REVIEW.approve(draft, reviewer, expected_version)
    record = _draft_record(draft, store)
    try:
        if draft.is_correction:
            _claim_revision(draft)
            disclosure = services.upsert_disclosure(record, store, reason=draft.correction_reason, dated=today(),
                                                    redaction=draft.redaction)
        else:
            _check_free(draft)
            disclosure = services.upsert_disclosure(record, store)
    except (LookupError, AttachmentRefused) as exc:
        db.session.rollback()
        audit.record_now(reviewer, "publication_refused", "draft", draft_id, outcome="failed", detail=str(exc))
        raise PublishingError(f"未发布：{exc}", status=409) from exc
    db.session.flush()
    audit.record(reviewer, "draft_approved", "disclosure", disclosure.slug,
                 detail=f"草稿 {draft.id}，第 {disclosure.revision} 版" + ("，删除处理" if draft.redaction else ""))
    db.session.commit()
    publication.announce(KIND, changed=[disclosure.slug])
    return disclosure


def withdraw_disclosure(slug: str, reviewer: StaffUser, reason: str) -> Disclosure:
    """Take a disclosure off the lists, feed and search; its address answers 410 with the reason."""
    REVIEW.require(reviewer, Role.REVIEWER, "disclosure_withdrawn")
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON_CHARS:
        raise PublishingError("撤回时必须说明原因（最多 2000 个字符）。", {"reason": "请填写撤回原因"})
    disclosure = services.get_disclosure(slug)
    claimed = db.session.execute(
        update(Disclosure).where(Disclosure.id == disclosure.id, Disclosure.withdrawn_on.is_(None))
        .values(withdrawn_on=today(), withdrawal_reason=reason, revision=Disclosure.revision + 1)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not claimed:
        db.session.rollback()
        audit.record_now(reviewer, "disclosure_withdrawn", "disclosure", slug, outcome="failed", detail="已撤回")
        raise PublishingError("该文件已经撤回。", status=409)
    db.session.refresh(disclosure)
    db.session.add(DisclosureRevision(
        disclosure_id=disclosure.id, number=disclosure.revision, action="withdrawn", dated=today(),
        reason=reason, changes=[],
    ))
    publication_log.record(KIND, slug, services.source_bytes(disclosure), today(), version=disclosure.revision,
                           action="withdrawn")
    audit.record(reviewer, "disclosure_withdrawn", "disclosure", slug)
    db.session.commit()
    publication.announce(KIND, removed=[slug])
    return disclosure


# --- the rules -----------------------------------------------------------------------------

def _own_editable_draft(draft_id: int, author: StaffUser, action: str) -> DisclosureDraft:
    REVIEW.require(author, Role.EDITOR, action)
    draft = get_draft(draft_id)
    REVIEW.check_author(draft, author, action)
    return draft


def _claim_revision(draft: DisclosureDraft) -> None:
    """Lock the disclosure at the version the correction started from (a row lock on
    PostgreSQL, the write lock on SQLite): a correction based on an older text is refused."""
    claimed = db.session.execute(
        update(Disclosure)
        .where(Disclosure.id == draft.disclosure_id, Disclosure.revision == draft.base_revision,
               Disclosure.withdrawn_on.is_(None))
        .values(revision=Disclosure.revision)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not claimed:
        raise LookupError("该文件在此更正发起后已被更正或撤回，请基于最新版本重新发起更正")


def _check_free(draft: DisclosureDraft) -> None:
    for field, label in (("slug", "网址标识"), ("index_no", "索引号")):
        if db.session.scalar(select(Disclosure.id).where(getattr(Disclosure, field) == getattr(draft, field))):
            raise LookupError(f"{label}“{getattr(draft, field)}”已被已发布的文件使用")


def _draft_record(draft: DisclosureDraft, store: FileStore) -> DisclosureRecord:
    published_on = draft.disclosure.published_on if draft.is_correction else today()
    return DisclosureRecord(
        slug=draft.slug, title=draft.title, index_no=draft.index_no, doc_no=draft.doc_no,
        publisher=draft.publisher, written_on=draft.written_on, published_on=published_on,
        topic=draft.topic, disclosure_mode=draft.disclosure_mode, validity=draft.validity,
        body=draft.body, departments=tuple(draft.departments),
        demo=draft.disclosure.demo if draft.is_correction else False,
        attachments=tuple(
            AttachmentRecord(title=a.title, filename=a.filename, source=store.source(a.sha256))
            for a in draft.attachments
        ),
    )
