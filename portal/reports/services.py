"""Reports: intake from the form and from staff, follow-up with a receipt code, and the desk's
actions. Every operation is one transaction, sealed files included (portal.files.sealed keeps
them in the database), so a report is stored whole or not at all.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from portal.staff import accounts, audit, passwords
from portal.staff.models import StaffUser
from portal.departments.models import Department
from portal.clock import today
from portal.extensions import db
from portal.files import sealed_file_store
from portal.reports import attachments, crypto, receipts
from portal.reports.attachments import Upload
from portal.reports.pixel_budget import PixelBudget
from portal.reports.models import (
    Anonymity, Category, Channel, DeskKey, FormToken, MessageKind, Report, ReportFile, ReportMessage, Status,
)
from portal.workdays import calendar
from portal.publication.version import bump_content_version

MIN_DESCRIPTION = 20
MAX_DESCRIPTION = 10_000
MAX_MESSAGE = 5_000
MAX_SHORT = 200
# What one receipt code may add in a day (the form's own limits apply to each message).
MAX_REPORTER_MESSAGES_PER_DAY = 5
MAX_REPORTER_FILES_PER_DAY = 10
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")

# The transitions a handler may make, and whether a reason must go to the reporter.
TRANSITIONS = {
    Status.REGISTERED: (Status.ACCEPTED, Status.REJECTED),
    Status.ACCEPTED: (Status.TRANSFERRED, Status.CONCLUDED),
    Status.TRANSFERRED: (Status.CONCLUDED,),
}
REASON_REQUIRED = {
    Status.REJECTED: "请写明不予受理的理由（举报人可见）。",
    Status.TRANSFERRED: "请写明转办给哪个单位（举报人可见）。",
}


class ReportInvalid(ValueError):
    """The submitted form has problems: `errors` maps field names to Chinese messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class DeskLocked(Exception):
    """No desk key exists yet, or this session has not unlocked it."""


class ReportConflict(Exception):
    """Someone else changed the report since the page was loaded."""


class AlreadySubmitted(Exception):
    """This form was already used to file a report (a reload, a double click, Back + resend)."""


def clean_text(value: str | None) -> str:
    """Control and bidirectional-override characters removed, line ends unified, trimmed."""
    return _CONTROL_RE.sub("", (value or "").replace("\r\n", "\n").replace("\r", "\n")).strip()


# --- the desk key ---------------------------------------------------------------------------

def desk_key() -> DeskKey | None:
    return db.session.scalar(select(DeskKey).order_by(DeskKey.id.desc()).limit(1))


def create_desk_key(passphrase: str, actor: StaffUser | None = None) -> DeskKey:
    if desk_key() is not None:
        raise ValueError("举报加密密钥已经存在。")
    if len(passphrase) < crypto.MIN_PASSPHRASE_LENGTH:
        raise ValueError(f"口令至少 {crypto.MIN_PASSPHRASE_LENGTH} 个字符。")
    public, locked, salt, cost = crypto.new_desk_key(passphrase)
    key = DeskKey(public_key=public, locked_private_key=locked, salt=salt, kdf_cost=cost, created_on=today())
    db.session.add(key)
    audit.record(actor, "desk_key_created", "desk_key", "", actor_name="command line")
    db.session.commit()
    # Not a publication (nothing is announced), but the home page's report entry now says the
    # desk is open: cached pages must be rendered again.
    bump_content_version()
    return key


# --- intake ---------------------------------------------------------------------------------

@dataclasses.dataclass
class ReportInput:
    category: Category
    department: Department | None
    occurred: str
    description: str
    anonymity: Anonymity
    contact: str
    channel: Channel = Channel.WEB
    received_on: dt.date | None = None


def parse_report_form(form, staff_entry: bool = False) -> ReportInput:
    """Check a submitted form; raise ReportInvalid listing every problem at once."""
    errors: dict[str, str] = {}
    category = next((c for c in Category if c.value == form.get("category")), None)
    if category is None:
        errors["category"] = "请选择举报类别。"
    department = None
    slug = clean_text(form.get("department"))
    if slug:
        department = db.session.scalar(select(Department).where(Department.slug == slug[:80]))
        if department is None:
            errors["department"] = "请从列表中选择被举报的部门，或选择“不确定/其他”。"
    occurred = clean_text(form.get("occurred"))
    if len(occurred) > MAX_SHORT:
        errors["occurred"] = f"发生时间请简要填写，不超过 {MAX_SHORT} 个字。"
    description = clean_text(form.get("description"))
    if len(description) < MIN_DESCRIPTION:
        errors["description"] = f"请具体描述发生了什么，至少 {MIN_DESCRIPTION} 个字。"
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = f"描述不能超过 {MAX_DESCRIPTION} 个字，可把其余内容作为附件提交。"
    anonymity = next((a for a in Anonymity if a.value == form.get("anonymity")), None)
    contact = clean_text(form.get("contact"))
    if anonymity is None:
        errors["anonymity"] = "请选择完全匿名或保密联系。"
    elif anonymity is Anonymity.CONFIDENTIAL and not contact:
        errors["contact"] = "选择保密联系时，请留下联系方式；不想留联系方式请选择完全匿名。"
    elif anonymity is Anonymity.ANONYMOUS and contact:
        errors["contact"] = "您选择了完全匿名，请清空联系方式，或改选保密联系。"
    if len(contact) > MAX_SHORT:
        errors["contact"] = f"联系方式不超过 {MAX_SHORT} 个字。"
    report = ReportInput(category, department, occurred, description, anonymity, contact)
    if staff_entry:
        channel = next((c for c in Channel if c.value == form.get("channel") and c is not Channel.WEB), None)
        if channel is None:
            errors["channel"] = "请选择举报渠道。"
        received_on = _parse_date(form.get("received_on"))
        if received_on is None or received_on > today() or received_on < today() - dt.timedelta(days=366):
            errors["received_on"] = "请填写收到举报的日期（一年内，不晚于今天），格式如 2026-11-26。"
        report.channel, report.received_on = channel or Channel.HOTLINE, received_on
    if errors:
        raise ReportInvalid(errors)
    return report


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return None


def parse_uploads(files: Iterable) -> list[Upload]:
    """Checked uploads from request.files values; a file input left empty is skipped."""
    uploads = []
    for storage in files:
        data = storage.read(attachments.MAX_FILE_BYTES + 1)
        if not storage.filename and not data:
            continue
        uploads.append(attachments.check(storage.filename or "", data))
        if len(uploads) > attachments.MAX_FILES:
            raise attachments.FileRefused(f"一次最多提交 {attachments.MAX_FILES} 个文件。")
    attachments.check_pixel_total(uploads, current_app.extensions["portal.settings"].upload_pixels_per_request)
    return uploads


def _clean_copies(uploads: list[Upload], budget: PixelBudget | None) -> list[bytes | None]:
    """The uploads' metadata-free copies, made before anything is written: a busy machine
    (AttachmentsBusy) or a spent daily budget (DailyPixelsSpent) leaves no trace."""
    pixels = sum(upload.pixels for upload in uploads)
    if budget is not None:
        budget.take(pixels)
    try:
        return attachments.clean_copies(uploads)
    except attachments.AttachmentsBusy:
        if budget is not None:  # no copy was made
            budget.give_back(pixels)
        raise


def _token_hash(form_token: str) -> str:
    return hashlib.sha256(form_token.encode()).hexdigest()


def form_already_used(form_token: str) -> bool:
    return db.session.get(FormToken, _token_hash(form_token)) is not None


def submit_report(entry: ReportInput, uploads: list[Upload], actor: StaffUser | None = None,
                  form_token: str | None = None, budget: PixelBudget | None = None) -> tuple[Report, str]:
    """Store a report; returns it and its receipt code (which only the caller ever sees).

    With a `form_token` (the public form's), the same form cannot file twice: the token is
    stored in the report's transaction, and a second use raises AlreadySubmitted. A public
    submission passes its client's daily pixel `budget`."""
    key = desk_key()
    if key is None:
        raise DeskLocked
    if form_token is not None and form_already_used(form_token):
        raise AlreadySubmitted
    copies = _clean_copies(uploads, budget)
    code = receipts.new_code()
    received_on = entry.received_on or today()
    deadline = calendar().add_working_days(received_on, current_app.extensions["portal.settings"].report_answer_working_days)
    content = {"description": entry.description, "occurred": entry.occurred, "contact": entry.contact}
    context = {"department": entry.department.slug if entry.department else "", "anonymity": entry.anonymity.value}
    report = Report(
        receipt_hash=_receipt_hash(code),
        reporter_key=crypto.public_key_of(_reporter_private_key(code)),
        channel=entry.channel.value,
        category=entry.category.value,
        sealed_content=_seal_json(key.public_key, content),
        sealed_context=_seal_json(key.public_key, context),
        received_on=received_on,
        due_on=deadline.due_on,
        due_provisional=deadline.provisional,
        status=Status.REGISTERED.value,
    )
    db.session.add(report)
    if form_token is not None:
        db.session.add(FormToken(token_hash=_token_hash(form_token), used_on=today()))
    try:
        _attach(report, uploads, copies, key.public_key)
        if actor is not None:
            db.session.flush()
            audit.record(actor, "report_entered", "report", report.id, detail=entry.channel.value)
        db.session.commit()
    except IntegrityError:
        # The same form sent twice at once: the other request stored it.
        db.session.rollback()
        if form_token is not None and form_already_used(form_token):
            raise AlreadySubmitted from None
        raise
    except BaseException:
        db.session.rollback()
        raise
    return report, code


def _seal_json(public_key: bytes, value: dict) -> bytes:
    return crypto.seal(public_key, json.dumps(value, ensure_ascii=False).encode())


def _attach(report: Report, uploads: list[Upload], copies: list[bytes | None], public_key: bytes) -> None:
    store = sealed_file_store()
    for upload, copy in zip(uploads, copies, strict=True):
        meta = {"name": upload.name, "media_type": upload.media_type, "size": len(upload.data)}
        name = store.put(crypto.seal(public_key, upload.data))
        clean_name = None
        if copy is not None:
            clean_name = store.put(crypto.seal(public_key, copy))
        report.files.append(ReportFile(
            received_on=today(), sealed_meta=_seal_json(public_key, meta),
            storage_name=name, clean_storage_name=clean_name, extension=upload.extension,
        ))


# --- follow-up ------------------------------------------------------------------------------

def _pepper() -> str:
    return current_app.extensions["portal.settings"].receipt_pepper


def _receipt_hash(code: str) -> str:
    return crypto.keyed_hash(_pepper(), "receipt", code)


def _reporter_private_key(code: str) -> bytes:
    return crypto.reporter_private_key(_pepper(), code)


def find_by_code(typed: str) -> tuple[Report, str] | None:
    """The report a typed receipt code opens, with the canonical code; None otherwise.

    A malformed code costs the same keyed hash and lookup as a well-formed one, so the answer's
    timing does not tell them apart."""
    code = receipts.normalise(typed)
    digest = _receipt_hash(code or "\x00invalid")
    report = db.session.scalar(select(Report).where(Report.receipt_hash == digest))
    if report is None or code is None:
        return None
    _move_to_peppered_key(report, code)
    return report, code


def _move_to_peppered_key(report: Report, code: str) -> None:
    """Reports filed before reporter keys took the pepper carry a key a database copy could test
    a code against: the first follow-up re-seals their replies to the new key and replaces it."""
    private = _reporter_private_key(code)
    if report.reporter_key == crypto.public_key_of(private):
        return
    legacy = crypto.legacy_reporter_private_key(code)
    if report.reporter_key != crypto.public_key_of(legacy):
        return
    report.reporter_key = crypto.public_key_of(private)
    for message in report.messages:
        if message.sealed_for_reporter is not None:
            message.sealed_for_reporter = crypto.seal(report.reporter_key, crypto.unseal(legacy, message.sealed_for_reporter))
    db.session.commit()


@dataclasses.dataclass(frozen=True)
class VisibleMessage:
    kind: MessageKind
    written_on: dt.date
    text: str
    status: Status | None


def messages_for_reporter(report: Report, code: str) -> list[VisibleMessage]:
    private = _reporter_private_key(code)
    visible = []
    for message in report.messages:
        if message.sealed_for_reporter is None:
            continue
        text = crypto.unseal(private, message.sealed_for_reporter).decode()
        visible.append(VisibleMessage(MessageKind(message.kind), message.written_on, text,
                                      Status(message.status) if message.status else None))
    return visible


def add_reporter_message(report: Report, code: str, text: str, uploads: list[Upload],
                         budget: PixelBudget | None = None) -> None:
    if report.status_enum.is_final:
        raise ReportInvalid({"message": "这件举报已经办结，不能再补充；如有新情况请重新举报。"})
    text = clean_text(text)
    if not text and not uploads:
        raise ReportInvalid({"message": "请填写补充内容或选择文件。"})
    if len(text) > MAX_MESSAGE:
        raise ReportInvalid({"message": f"补充内容不超过 {MAX_MESSAGE} 个字。"})
    key = desk_key()
    if key is None:
        raise DeskLocked
    # Checked before the copies are made (a spent allowance costs no copying) and again, under
    # the report's row lock, once they are: the lock is not held while copying.
    _check_daily_allowance(report, len(uploads), lock=False)
    copies = _clean_copies(uploads, budget)
    _check_daily_allowance(report, len(uploads))
    summary = text or "（补充了文件）"
    if uploads:
        summary += f"\n〔附件 {len(uploads)} 个〕" if text else ""
    _add_message(report, MessageKind.FROM_REPORTER, summary, key.public_key, to_reporter=True)
    try:
        _attach(report, uploads, copies, key.public_key)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _check_daily_allowance(report: Report, new_files: int, lock: bool = True) -> None:
    """One receipt code adds at most a few messages and files a day: a code is no free upload
    channel. Counted from the rows themselves (their day), so nothing else is kept for it.

    The report's row is locked first (until the transaction that adds the rows commits): two
    follow-ups arriving together for one code count one after the other, never both before
    either has written (PostgreSQL; SQLite has one writer at a time and ignores the lock)."""
    if lock:
        db.session.execute(select(Report.id).where(Report.id == report.id).with_for_update())
    day = today()
    messages = db.session.scalar(select(func.count()).select_from(ReportMessage).where(
        ReportMessage.report_id == report.id, ReportMessage.kind == MessageKind.FROM_REPORTER.value,
        ReportMessage.written_on == day))
    if messages >= MAX_REPORTER_MESSAGES_PER_DAY:
        raise ReportInvalid({"message": f"同一件举报每天最多补充 {MAX_REPORTER_MESSAGES_PER_DAY} 次，请明天再补充。"})
    files = db.session.scalar(select(func.count()).select_from(ReportFile).where(
        ReportFile.report_id == report.id, ReportFile.received_on == day))
    if new_files and files + new_files > MAX_REPORTER_FILES_PER_DAY:
        raise ReportInvalid({"files": f"同一件举报每天最多补充 {MAX_REPORTER_FILES_PER_DAY} 个文件，"
                                      f"今天还可以提交 {max(0, MAX_REPORTER_FILES_PER_DAY - files)} 个。"})


def _add_message(report: Report, kind: MessageKind, text: str, desk_public: bytes, to_reporter: bool,
                 author: StaffUser | None = None, status: Status | None = None) -> None:
    data = text.encode()
    report.messages.append(ReportMessage(
        kind=kind.value, written_on=today(), author_id=author.id if author else None,
        status=status.value if status else None,
        sealed_for_desk=crypto.seal(desk_public, data),
        sealed_for_reporter=crypto.seal(report.reporter_key, data) if to_reporter else None,
    ))


# --- the desk -------------------------------------------------------------------------------

def unlock_desk(passphrase: str) -> bytes:
    """The desk's private key for this passphrase; crypto.DecryptionFailed if it is wrong.
    The bare operation, for the command line and tests: a handler's request goes through
    `unlock_desk_as`, which bounds and throttles it."""
    key = desk_key()
    if key is None:
        raise DeskLocked
    return crypto.unlock_desk_key(key.locked_private_key, passphrase, key.salt, key.kdf_cost)


def unlock_desk_as(handler: StaffUser, passphrase: str) -> bytes:
    """A handler's unlock. Each guess costs Argon2id (~1 s, 256 MiB), so it takes one of the
    machine's hashing slots like a login (passwords.HashingBusy when none is free: four parallel
    guesses cannot take the cores from the public pages) and counts toward a throttle of its own
    per account (accounts.LoginThrottled): the passphrase cannot be guessed freely from one
    handler account, and a handler's wrong passphrases do not lock their login."""
    throttle_key = f"desk-unlock:{handler.id}"
    key = desk_key()
    if key is None:
        raise DeskLocked
    with passwords.hashing_slot():
        accounts.check_throttle(throttle_key, handler, "desk_unlock_throttled")
        try:
            private = passwords.at_low_priority(lambda: crypto.unlock_desk_key(
                key.locked_private_key, passphrase, key.salt, key.kdf_cost))
        except crypto.DecryptionFailed:
            db.session.rollback()
            accounts.count_failure(throttle_key)
            audit.record(handler, "desk_unlock_failed", "desk_key", "", outcome="failed")
            db.session.commit()
            raise
    accounts.clear_failures(throttle_key)
    return private


@dataclasses.dataclass(frozen=True)
class ReadFile:
    id: int
    name: str
    media_type: str
    size: int
    has_clean_copy: bool
    received_on: dt.date


@dataclasses.dataclass(frozen=True)
class ReadMessage:
    kind: MessageKind
    written_on: dt.date
    author: str
    text: str
    status: Status | None
    visible_to_reporter: bool


@dataclasses.dataclass(frozen=True)
class ReportContext:
    """What the desk sees of a report in its queue once unlocked: sealed like the rest."""

    department: Department | None
    anonymity: Anonymity

    @property
    def department_name(self) -> str:
        return self.department.name if self.department else "不确定/其他"


@dataclasses.dataclass(frozen=True)
class ReadReport:
    report: Report
    context: ReportContext
    description: str
    occurred: str
    contact: str
    messages: list[ReadMessage]
    files: list[ReadFile]


def read_contexts(reports: list[Report], private_key: bytes) -> dict[int, ReportContext]:
    """Each report's department and contact choice, by report id (one department query)."""
    sealed = {report.id: json.loads(crypto.unseal(private_key, report.sealed_context)) for report in reports}
    slugs = {value["department"] for value in sealed.values() if value["department"]}
    departments = {d.slug: d for d in db.session.scalars(select(Department).where(Department.slug.in_(slugs)))} if slugs else {}
    return {report_id: ReportContext(departments.get(value["department"]), Anonymity(value["anonymity"]))
            for report_id, value in sealed.items()}


def read_report(report: Report, private_key: bytes) -> ReadReport:
    content = json.loads(crypto.unseal(private_key, report.sealed_content))
    messages = [
        ReadMessage(MessageKind(m.kind), m.written_on,
                    m.author.display_name if m.author else ("举报人" if m.kind == MessageKind.FROM_REPORTER.value else "—"),
                    crypto.unseal(private_key, m.sealed_for_desk).decode(),
                    Status(m.status) if m.status else None, m.sealed_for_reporter is not None)
        for m in report.messages
    ]
    files = []
    for f in report.files:
        meta = json.loads(crypto.unseal(private_key, f.sealed_meta))
        files.append(ReadFile(f.id, meta["name"], meta["media_type"], meta["size"], f.clean_storage_name is not None,
                              f.received_on))
    return ReadReport(report, read_contexts([report], private_key)[report.id], content["description"],
                      content["occurred"], content["contact"], messages, files)


def read_file(report: Report, file_id: int, private_key: bytes, clean: bool) -> tuple[bytes, str, str] | None:
    """(bytes, media type, download name) of one of a report's files, or None."""
    record = next((f for f in report.files if f.id == file_id), None)
    if record is None or (clean and record.clean_storage_name is None):
        return None
    meta = json.loads(crypto.unseal(private_key, record.sealed_meta))
    data = crypto.unseal(private_key, sealed_file_store().read(record.clean_storage_name if clean else record.storage_name))
    suffix = "-clean" if clean else ""
    return data, meta["media_type"], f"report-{report.id}-file-{record.id}{suffix}.{record.extension}"


def get_report(report_id: int) -> Report | None:
    return db.session.get(Report, report_id)


def queue(status: str | None = None, mine: StaffUser | None = None) -> list[Report]:
    statement = select(Report)
    if status in {s.value for s in Status}:
        statement = statement.where(Report.status == status)
    elif status != "all":
        statement = statement.where(Report.status.not_in([Status.CONCLUDED.value, Status.REJECTED.value]))
    if mine is not None:
        statement = statement.where(Report.assigned_to_id == mine.id)
    return list(db.session.scalars(statement.order_by(Report.due_on, Report.id)))


def _bump(report: Report, version: int) -> None:
    """Claim the report for this change: refused if someone else changed it first."""
    claimed = db.session.execute(
        update(Report).where(Report.id == report.id, Report.version == version)
        .values(version=Report.version + 1).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise ReportConflict
    db.session.refresh(report, ["version"])


def assign(report: Report, handler: StaffUser | None, version: int, actor: StaffUser) -> None:
    _bump(report, version)
    report.assigned_to_id = handler.id if handler else None
    audit.record(actor, "report_assigned", "report", report.id, detail=handler.username if handler else "")
    db.session.commit()


def change_status(report: Report, new: Status, reason: str, version: int, actor: StaffUser) -> None:
    reason = clean_text(reason)
    current = report.status_enum
    if version != report.version:
        raise ReportConflict  # judged against what the handler saw, not what is there now
    if new not in TRANSITIONS.get(current, ()):
        raise ReportInvalid({"status": f"“{current.label}”的举报不能改为“{new.label}”。"})
    if new in REASON_REQUIRED and not reason:
        raise ReportInvalid({"reason": REASON_REQUIRED[new]})
    if len(reason) > MAX_MESSAGE:
        raise ReportInvalid({"reason": f"说明不超过 {MAX_MESSAGE} 个字。"})
    key = desk_key()
    _bump(report, version)
    report.status = new.value
    if current is Status.REGISTERED:
        report.answered_on = today()
    if new.is_final:
        report.concluded_on = today()
    _add_message(report, MessageKind.STATUS, reason, key.public_key, to_reporter=True, author=actor, status=new)
    audit.record(actor, "report_status", "report", report.id, detail=f"{current.value}→{new.value}")
    db.session.commit()


def add_desk_message(report: Report, kind: MessageKind, text: str, actor: StaffUser) -> None:
    text = clean_text(text)
    if not text:
        raise ReportInvalid({"text": "请填写内容。"})
    if len(text) > MAX_MESSAGE:
        raise ReportInvalid({"text": f"内容不超过 {MAX_MESSAGE} 个字。"})
    key = desk_key()
    _add_message(report, kind, text, key.public_key, to_reporter=kind is MessageKind.REPLY, author=actor)
    audit.record(actor, "report_reply" if kind is MessageKind.REPLY else "report_note", "report", report.id)
    db.session.commit()


def purge_expired(on: dt.date | None = None, actor: StaffUser | None = None) -> int:
    """Delete concluded reports (with their files) older than the retention period, and files no
    report refers to. Returns how many reports were deleted."""
    on = on or today()
    retention = current_app.extensions["portal.settings"].report_retention_days
    cutoff = on - dt.timedelta(days=retention)
    expired = list(db.session.scalars(
        select(Report).where(Report.concluded_on.is_not(None), Report.concluded_on < cutoff)
    ))
    names = [n for r in expired for f in r.files for n in (f.storage_name, f.clean_storage_name) if n]
    for report in expired:
        db.session.delete(report)
    if expired:
        audit.record(actor, "reports_purged", "report", "", detail=str(len(expired)), actor_name="reports purge")
    store = sealed_file_store()
    store.delete(names)
    kept = set()
    for storage_name, clean_name in db.session.execute(select(ReportFile.storage_name, ReportFile.clean_storage_name)):
        kept.update(n for n in (storage_name, clean_name) if n)
    store.sweep(kept)
    # Used form tokens only need to outlive a reload or a Back + resend.
    db.session.execute(delete(FormToken).where(FormToken.used_on < on - dt.timedelta(days=7)))
    db.session.commit()
    return len(expired)
