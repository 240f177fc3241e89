"""Applications for information: intake (the form, or staff entering one received on paper),
the tracking number and secret, and the desk's actions along the law's clock.

Every action is one transaction that checks the application's state and version (two handlers
acting at once cannot both succeed), writes its timeline event and an audit entry, and stores
the recomputed due date. What an action may do in which state is the table ALLOWED; a refusal
says why in Chinese (ApplicationRefused), and changes nothing.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import re
import unicodedata

from flask import current_app
from nacl.secret import SecretBox
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.applications import answers, clock, fees
from portal.applications.models import (
    APPLICANT_TYPES, CHANNELS, DELIVERIES, FORMS, ID_TYPES, ORGANISATION_KINDS, Application, ApplicationEvent, Status,
)
from portal.clock import today, utcnow
from portal.extensions import db
from portal.reports import receipts
from portal.reports.services import clean_text
from portal.staff import audit
from portal.staff.models import StaffUser

MAX_SHORT = 200
MIN_DESCRIPTION = 10
MAX_DESCRIPTION = 5_000
MAX_NOTE = 5_000
PAUSE_KINDS = {"third_party": "征求第三方意见（第三十二条）", "other_body": "征求其他机关意见（第三十四条）",
               "fee": "待缴纳信息处理费"}
EVENT_LABELS = {
    "received": "收到申请", "correction_requested": "要求补正", "correction_received": "收到补正后的申请",
    "accepted": "登记办理", "extended": "延长答复期限", "paused": "暂停计时", "resumed": "恢复计时",
    "fee_notice": "发出收费通知", "fee_waived": "减免信息处理费", "answered": "作出答复", "closed": "终止办理",
    "assigned": "分派承办人", "note": "内部备注",
}
ALLOWED = {
    "request_correction": {Status.RECEIVED},
    "receive_correction": {Status.CORRECTING},
    "accept": {Status.RECEIVED},
    "extend": {Status.RECEIVED, Status.PROCESSING, Status.PAUSED},
    "pause": {Status.RECEIVED, Status.PROCESSING},
    "resume": {Status.PAUSED},
    "fee_notice": {Status.RECEIVED, Status.PROCESSING},
    "waive_fee": {Status.RECEIVED, Status.PROCESSING, Status.PAUSED},
    "answer": {Status.RECEIVED, Status.PROCESSING},
    "close": {Status.RECEIVED, Status.CORRECTING, Status.PROCESSING, Status.PAUSED},
}


class ApplicationInvalid(ValueError):
    """The form has problems: `errors` maps field names to Chinese messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class ApplicationRefused(Exception):
    """The action is not allowed now; the message says why."""


class ApplicationConflict(Exception):
    """Someone else changed the application since the page was loaded."""


class AlreadySubmitted(Exception):
    """This form was sent before (a double click, a reload): `application` and `secret` are the
    first sending's, so the same receipt can be shown again."""

    def __init__(self, application: Application, secret: str):
        super().__init__(application.number)
        self.application, self.secret = application, secret


# --- sealing ----------------------------------------------------------------------------------

def _box() -> SecretBox:
    # Derived from the server's secret that is kept out of the database and its backups (the
    # same RECEIPT_PEPPER receipt codes depend on), separated by purpose: a database copy alone
    # reads no applicant's name.
    pepper = current_app.extensions["portal.settings"].receipt_pepper
    return SecretBox(hmac.new(pepper.encode(), b"applicant-data", hashlib.sha256).digest())


def _seal(value: dict) -> bytes:
    return bytes(_box().encrypt(json.dumps(value, ensure_ascii=False).encode()))


def _unseal(blob: bytes | None) -> dict:
    return json.loads(_box().decrypt(blob)) if blob else {}


def _keyed(purpose: str, value: str) -> str:
    pepper = current_app.extensions["portal.settings"].receipt_pepper
    return hmac.new(pepper.encode(), f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def personal(application: Application) -> dict:
    """The applicant's sealed data (the desk's pages only); empty once purged."""
    return _unseal(application.sealed) if application.personal_purged_on is None else {}


def note_text(event: ApplicationEvent) -> str:
    return _unseal(event.sealed_note).get("text", "") if event.sealed_note else ""


def form_vocabulary() -> dict:
    """What the application form's pages (public and the desk's entry page) show."""
    settings = current_app.extensions["portal.settings"]
    return {"APPLICANT_TYPES": APPLICANT_TYPES, "ORGANISATION_KINDS": ORGANISATION_KINDS, "ID_TYPES": ID_TYPES,
            "FORMS": FORMS, "DELIVERIES": DELIVERIES, "answer_days": clock.ANSWER_DAYS,
            "config_retention_years": f"{settings.application_retention_days // 365} 年",
            "fee_method": fees.METHOD_LABELS[settings.application_fee_method]}


# --- intake -----------------------------------------------------------------------------------

@dataclasses.dataclass
class ApplicationInput:
    applicant_type: str
    organisation_kind: str | None
    name: str
    id_type: str
    id_number: str
    phone: str
    address: str
    email: str
    description: str
    form_wanted: str
    delivery: str
    waiver_reason: str
    index_number: str = ""  # 索引号 of a published document the application asks for
    channel: str = "online"
    sent_on: dt.date | None = None


# What people put between the parts of an ID number: spaces, hyphens and dashes of every width
# (NFKC has made full-width ones plain), dots and middle dots.
_ID_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.\u00b7\u30fb]+")


def normalise_id_number(value: str) -> str:
    """One spelling per number, so that the keyed hash the monthly fee bands count by is the same
    for 440000-19900101-123x, ４４００００１９９００１０１１２３Ｘ and 440000 1990 0101 123X."""
    return _ID_SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).upper()


def parse_form(form, staff_entry: bool = False) -> ApplicationInput:
    """Check a submitted form; raise ApplicationInvalid listing every problem at once."""
    errors: dict[str, str] = {}

    def text(name: str, limit: int = MAX_SHORT) -> str:
        value = clean_text(form.get(name))
        if len(value) > limit:
            errors[name] = f"最多 {limit} 个字符。"
        return value

    def choice(name: str, options: dict, message: str) -> str:
        value = form.get(name, "")
        if value not in options:
            errors[name] = message
        return value

    applicant_type = choice("applicant_type", APPLICANT_TYPES, "请选择申请人类型。")
    organisation_kind = None
    if applicant_type == "organisation":
        organisation_kind = choice("organisation_kind", ORGANISATION_KINDS, "请选择组织类型。")
    name, id_number = text("name"), text("id_number", 40)
    id_type = choice("id_type", ID_TYPES, "请选择证件类型。")
    if not name:
        errors["name"] = "请填写申请人姓名或组织名称。"
    if not id_number and "id_number" not in errors:
        errors["id_number"] = "请填写证件号码。"
    phone, address, email = text("phone", 40), text("address"), text("email", 120)
    if not (phone or address or email):
        errors["phone"] = "请至少留下一种联系方式（电话、通信地址或电子邮箱），以便送达答复。"
    description = text("description", MAX_DESCRIPTION)
    if len(description) < MIN_DESCRIPTION and "description" not in errors:
        errors["description"] = f"请描述所需政府信息（名称、文号或便于查询的特征），至少 {MIN_DESCRIPTION} 个字。"
    form_wanted = choice("form_wanted", FORMS, "请选择获取信息的载体形式。")
    delivery = choice("delivery", DELIVERIES, "请选择获取信息的方式。")
    if delivery == "post" and not address and "delivery" not in errors:
        errors["address"] = "选择邮寄的，请填写通信地址。"
    channel, sent_on = "online", None
    if staff_entry:
        channel = choice("channel", {k: v for k, v in CHANNELS.items() if k != "online"}, "请选择收到申请的渠道。")
        try:
            sent_on = dt.date.fromisoformat(form.get("sent_on", ""))
            if sent_on > today():
                errors["sent_on"] = "收到日期不能晚于今天。"
        except ValueError:
            errors["sent_on"] = "请填写收到申请的日期（信函为签收之日）。"
    entry = ApplicationInput(
        applicant_type=applicant_type, organisation_kind=organisation_kind, name=name, id_type=id_type,
        id_number=normalise_id_number(id_number), phone=phone, address=address, email=email,
        description=description, form_wanted=form_wanted, delivery=delivery,
        waiver_reason=text("waiver_reason", 1000), index_number=text("index_number", 60), channel=channel,
        sent_on=sent_on,
    )
    if errors:
        raise ApplicationInvalid(errors)
    return entry


def _secret_for_form(form_token: str) -> str:
    """The public form's secret, derived from its one-time token under the server's pepper: the
    same form sent again gets the same receipt back (nothing else can derive it)."""
    digest = int(_keyed("application-secret-for-form", form_token), 16)
    return "".join(receipts.ALPHABET[(digest >> (5 * i)) & 31] for i in range(receipts.LENGTH))


def form_already_used(form_token: str) -> bool:
    token_hash = _keyed("application-form", form_token)
    return db.session.scalar(select(Application.id).where(Application.form_token_hash == token_hash)) is not None


def _already_submitted(token_hash: str | None, form_token: str | None) -> None:
    if token_hash is None:
        return
    first = db.session.scalar(select(Application).where(Application.form_token_hash == token_hash))
    if first is not None:
        raise AlreadySubmitted(first, _secret_for_form(form_token))


def submit(entry: ApplicationInput, actor: StaffUser | None = None, demo: bool = False,
           form_token: str | None = None) -> tuple[Application, str]:
    """Store an application; returns it with the applicant's secret (shown once, never stored).
    With the public form's `form_token`, sending the same form again raises AlreadySubmitted."""
    sent_on = entry.sent_on or today()
    received = clock.received_on(entry.channel, sent_on)
    token_hash = _keyed("application-form", form_token) if form_token else None
    _already_submitted(token_hash, form_token)
    secret = _secret_for_form(form_token) if form_token else receipts.new_code()
    sealed = _seal({
        "name": entry.name, "id_type": entry.id_type, "id_number": entry.id_number, "phone": entry.phone,
        "address": entry.address, "email": entry.email, "description": entry.description,
        "waiver_reason": entry.waiver_reason, "index_number": entry.index_number,
    })
    for _attempt in range(5):
        application = Application(
            number=_next_number(received.year), secret_hash=_keyed("application-secret", secret),
            form_token_hash=token_hash,
            channel=entry.channel, applicant_type=entry.applicant_type, organisation_kind=entry.organisation_kind,
            applicant_hash=_keyed("applicant", f"{entry.id_type}:{entry.id_number}"), sealed=sealed,
            form_wanted=entry.form_wanted, delivery=entry.delivery, sent_on=sent_on, received_on=received,
            status=Status.RECEIVED.value, demo=demo, extension_days=0, version=1,
        )
        _refresh_due(application)
        application.events.append(ApplicationEvent(
            kind="received", on=received, author_id=actor.id if actor else None,
            detail={"channel": entry.channel, "sent_on": sent_on.isoformat()}))
        db.session.add(application)
        try:
            db.session.flush()
        except IntegrityError:  # two took the same number at once (take the next), or the same form was sent twice
            db.session.rollback()
            _already_submitted(token_hash, form_token)
            continue
        entry_row = audit.record(actor, "application_received", "application", application.number,
                                 actor_name="public form" if actor is None else None, detail=entry.channel)
        if actor is None:  # a citizen's filing is dated to the day, like a report
            entry_row.at = dt.datetime.combine(utcnow().date(), dt.time())
        db.session.commit()
        return application, secret
    raise RuntimeError("could not allocate an application number")


def _next_number(year: int) -> str:
    last = db.session.scalar(select(func.max(Application.number)).where(Application.number.like(f"{year}-%")))
    return f"{year}-{int(last.split('-')[1]) + 1 if last else 1:04d}"


def find(number: str, typed_secret: str) -> tuple[Application, str] | None:
    """The application a number and secret open; one answer for every kind of wrong."""
    secret = receipts.normalise(typed_secret)
    digest = _keyed("application-secret", secret or "\x00invalid")
    application = db.session.scalar(select(Application).where(Application.number == number.strip()[:20]))
    if application is None or secret is None or not hmac.compare_digest(application.secret_hash, digest):
        return None
    return application, secret


def get(application_id: int) -> Application | None:
    return db.session.get(Application, application_id)


# --- the clock --------------------------------------------------------------------------------

def pauses(application: Application) -> tuple[clock.Pause, ...]:
    found, started = [], None
    for event in application.events:
        if event.kind == "paused":
            started = event.on
        elif event.kind == "resumed" and started is not None:
            found.append(clock.Pause(started, event.on))
            started = None
    if started is not None:
        found.append(clock.Pause(started, None))
    return tuple(found)


def clock_of(application: Application) -> clock.Clock:
    return clock.clock(application.received_on, corrected_on=application.corrected_on,
                       extension_days=application.extension_days, pauses=pauses(application))


def _refresh_due(application: Application) -> None:
    if application.status_enum.is_final or application.status_enum is Status.CORRECTING:
        application.due_on, application.due_provisional = None, False
        return
    answer = clock_of(application).answer
    application.due_on, application.due_provisional = answer.due_on, answer.provisional


def is_overdue(application: Application, on: dt.date | None = None) -> bool:
    return not application.status_enum.is_final and clock.is_overdue(application.due_on, on or today())


def days_waited(application: Application, on: dt.date | None = None) -> int:
    """Working days the applicant has waited so far (or waited, once answered), pauses left out."""
    starts = application.corrected_on or application.received_on
    end = application.answered_on if application.status_enum.is_final else (on or today())
    return clock.working_days_between(starts, max(end, starts), pauses(application))


def timeline(application: Application, for_applicant: bool) -> list[ApplicationEvent]:
    return [event for event in application.events if event.public or not for_applicant]


# --- the desk's actions -----------------------------------------------------------------------

def _act(application: Application, action: str, actor: StaffUser, version: int, on: dt.date | None = None) -> dt.date:
    """Check that `action` is allowed now and claim the application; returns the action's day."""
    if application.status_enum not in ALLOWED[action]:
        raise ApplicationRefused(f"申请处于“{application.status_enum.label}”状态，不能进行此操作。")
    on = on or today()
    if on > today():
        raise ApplicationRefused("日期不能晚于今天。")
    # Not before the application arrived. Its 收到申请之日 may be later (one filed on a Saturday
    # is received on Monday), and the desk may act on it before then.
    if on < application.sent_on:
        raise ApplicationRefused("日期不能早于申请提交之日。")
    _claim(application, version)
    return on


def _claim(application: Application, version: int, **values) -> None:
    """Move the version on (setting `values` in the same statement) if it is still `version`."""
    claimed = db.session.execute(
        update(Application).where(Application.id == application.id, Application.version == version)
        .values(version=Application.version + 1, **values).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise ApplicationConflict
    db.session.refresh(application)


def _event(application: Application, what: str, on: dt.date, actor: StaffUser | None, public: bool = True,
           note: str = "", **detail) -> None:
    application.events.append(ApplicationEvent(
        kind=what, on=on, author_id=actor.id if actor else None, detail=detail, public=public,
        sealed_note=_seal({"text": note}) if note else None))


def _done(application: Application, actor: StaffUser, action: str, detail: str = "") -> None:
    _refresh_due(application)
    audit.record(actor, f"application_{action}", "application", application.number, detail=detail,
                 actor_name=None if actor else "demo")
    db.session.commit()


def _reason(text: str, what: str) -> str:
    text = clean_text(text)
    if not text:
        raise ApplicationRefused(f"请写明{what}。")
    if len(text) > MAX_NOTE:
        raise ApplicationRefused(f"{what}最多 {MAX_NOTE} 个字符。")
    return text


def request_correction(application: Application, actor: StaffUser, version: int, reason: str,
                       period_days: int = clock.DEFAULT_CORRECTION_PERIOD) -> None:
    """Art. 30: once, within 7 working days of receipt, saying what to correct and by when."""
    reason = _reason(reason, "需要补正的内容（申请人可见）")
    if any(event.kind == "correction_requested" for event in application.events):
        raise ApplicationRefused("补正只能要求一次（第三十条）。")
    if not 1 <= period_days <= 30:
        raise ApplicationRefused("补正期限应为 1 至 30 个工作日。")
    latest = clock_of(application).correction_request_by
    on = _act(application, "request_correction", actor, version)
    if on > latest:
        db.session.rollback()
        raise ApplicationRefused(f"补正应在收到申请之日起 7 个工作日内一次性提出（最迟 {latest.isoformat()}）。")
    application.status = Status.CORRECTING.value
    application.correction_due_on = clock.count(on, period_days).due_on
    _event(application, "correction_requested", on, actor, reason=reason, period_days=period_days,
           due_on=application.correction_due_on.isoformat())
    _done(application, actor, "correction_requested")


def receive_correction(application: Application, actor: StaffUser, version: int, on: dt.date | None = None,
                       description: str = "") -> None:
    """The corrected application arrived: the clock starts again from its day of receipt."""
    on = _act(application, "receive_correction", actor, version, on)
    if description:
        sealed = personal(application)
        sealed["description"] = _reason(description, "补正后的申请内容")
        application.sealed = _seal(sealed)
    application.corrected_on, application.status = on, Status.PROCESSING.value
    _event(application, "correction_received", on, actor)
    _done(application, actor, "correction_received")


def accept(application: Application, actor: StaffUser, version: int) -> None:
    on = _act(application, "accept", actor, version)
    application.status = Status.PROCESSING.value
    _event(application, "accepted", on, actor)
    _done(application, actor, "accepted")


def extend(application: Application, actor: StaffUser, version: int, days: int, reason: str, approver: str,
           approved_on: dt.date | None = None) -> None:
    """Art. 33: once, at most 20 working days, approved by the office's head, before the due date."""
    reason, approver = _reason(reason, "延期理由（申请人可见）"), _reason(approver, "批准人")
    if application.extension_days:
        raise ApplicationRefused("答复期限已经延长过一次。")
    if not 1 <= days <= clock.MAX_EXTENSION_DAYS:
        raise ApplicationRefused("延长的期限最长不超过 20 个工作日（第三十三条）。")
    due = application.due_on
    on = _act(application, "extend", actor, version, approved_on)
    if due is not None and on > due:
        db.session.rollback()
        raise ApplicationRefused(f"延期须在答复期限（{due.isoformat()}）届满前批准。")
    application.extension_days = days
    _event(application, "extended", on, actor, days=days, reason=reason, approver=approver[:64])
    _done(application, actor, "extended", f"{days} 个工作日")


def pause(application: Application, actor: StaffUser, version: int, kind: str, reason: str,
          on: dt.date | None = None) -> None:
    """Consultation (Art. 32, 34): the clock stops from `on` until it is resumed."""
    if kind not in ("third_party", "other_body"):
        raise ApplicationRefused("请选择暂停计时的原因。")
    reason = _reason(reason, "征求意见的对象和事项（申请人可见）")
    on = _act(application, "pause", actor, version, on)
    application.status = Status.PAUSED.value
    _event(application, "paused", on, actor, kind=kind, reason=reason)
    _done(application, actor, "paused", kind)


def resume(application: Application, actor: StaffUser, version: int, on: dt.date | None = None) -> None:
    """The reply (or the fee) arrived on `on`: the clock runs again from the next working day."""
    started = pauses(application)[-1].started_on
    on = _act(application, "resume", actor, version, on)
    if on < started:
        db.session.rollback()
        raise ApplicationRefused("恢复计时的日期不能早于暂停之日。")
    application.status = Status.PROCESSING.value
    _event(application, "resumed", on, actor)
    _done(application, actor, "resumed")


def fee_for(application: Application, pages: int | None = None) -> fees.Fee:
    method = current_app.extensions["portal.settings"].application_fee_method
    if method == fees.PER_PAGE:
        if pages is None:
            raise ApplicationRefused("按量计收须填写页数。")
        return fees.per_page(pages)
    month_start = application.received_on.replace(day=1)
    next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
    ordinal = db.session.scalar(select(func.count(Application.id)).where(
        Application.applicant_hash == application.applicant_hash, Application.received_on >= month_start,
        Application.received_on < next_month, Application.id <= application.id))
    return fees.per_application(ordinal)


def fee_notice(application: Application, actor: StaffUser, version: int, pages: int | None = None) -> fees.Fee:
    """A fee notice: the clock stops until payment; unpaid after 20 working days → 逾期未缴费."""
    fee = fee_for(application, pages)
    if fee.amount == 0:
        raise ApplicationRefused("按规定本申请无需收费。")
    on = _act(application, "fee_notice", actor, version)
    application.status, application.fee_amount = Status.PAUSED.value, fee.amount
    application.fee_due_on = clock.count(on, clock.FEE_PAYMENT_DAYS).due_on
    _event(application, "fee_notice", on, actor, amount=fee.amount, basis=fee.basis,
           due_on=application.fee_due_on.isoformat())
    _event(application, "paused", on, actor, kind="fee", reason=f"收费通知：{fee.amount} 元")
    _done(application, actor, "fee_notice", f"{fee.amount} 元")
    return fee


def waive_fee(application: Application, actor: StaffUser, version: int, reason: str) -> None:
    reason = _reason(reason, "减免理由（申请人可见）")
    on = _act(application, "waive_fee", actor, version)
    was_paused_for_fee = application.fee_amount is not None and application.status_enum is Status.PAUSED
    application.fee_amount = 0
    _event(application, "fee_waived", on, actor, reason=reason)
    if was_paused_for_fee:
        application.status = Status.PROCESSING.value
        _event(application, "resumed", on, actor)
    _done(application, actor, "fee_waived")


def answer(application: Application, actor: StaffUser, version: int, answer_type: str, reason: str,
           fields: dict[str, str]) -> None:
    """An Art. 36 answer, or the end of an application not answered on its substance."""
    kind = answers.BY_CODE.get(answer_type)
    if kind is None:
        raise ApplicationRefused("请选择答复类型。")
    if kind.reasons and reason not in kind.reasons:
        raise ApplicationRefused(f"“{kind.label}”须选择具体情形（年度报告按情形统计）。")
    values = {}
    for name in kind.needs:
        value = clean_text(fields.get(name))
        if not value:
            raise ApplicationRefused(f"请填写{answers.FIELD_LABELS[name]}。")
        values[name] = value[:MAX_NOTE]
    if kind.closes:
        _check_closing(application, reason)
    on = _act(application, "close" if kind.closes else "answer", actor, version)
    application.status = (Status.CLOSED if kind.closes else Status.ANSWERED).value
    application.answer_type, application.answer_reason = kind.code, reason or None
    application.answered_on, application.answer = on, values
    _event(application, "closed" if kind.closes else "answered", on, actor, type=kind.code, reason=reason)
    _done(application, actor, "answered", f"{kind.code}/{reason}")


def _check_closing(application: Application, reason: str) -> None:
    now = today()
    if reason == "no_correction" and not (application.status_enum is Status.CORRECTING
                                          and application.correction_due_on and now > application.correction_due_on):
        raise ApplicationRefused("只有补正期限届满仍未补正的申请，才能按“逾期不补正”终止。")
    if reason == "unpaid" and not (application.status_enum is Status.PAUSED and _paused_for_fee(application)
                                   and application.fee_due_on and now > application.fee_due_on):
        raise ApplicationRefused("只有缴费期限届满仍未缴费的申请，才能按“逾期未缴费”终止。")


def assign(application: Application, actor: StaffUser, version: int, handler: StaffUser | None) -> None:
    if application.status_enum.is_final:
        raise ApplicationRefused("申请已办结。")
    _claim(application, version, assigned_to_id=handler.id if handler else None)
    _event(application, "assigned", today(), actor, public=False, to=handler.display_name if handler else "")
    _done(application, actor, "assigned")


def add_note(application: Application, actor: StaffUser, text: str) -> None:
    _event(application, "note", today(), actor, public=False, note=_reason(text, "备注内容"))
    audit.record(actor, "application_note", "application", application.number)
    db.session.commit()


# --- queries ----------------------------------------------------------------------------------

def queue(which: str = "open", mine: StaffUser | None = None) -> list[Application]:
    query = select(Application)
    if which == "open":
        query = query.where(Application.status.notin_([Status.ANSWERED.value, Status.CLOSED.value]))
    elif which in {status.value for status in Status}:
        query = query.where(Application.status == which)
    if mine is not None:
        query = query.where(Application.assigned_to_id == mine.id)
    # By deadline: the nearest first, stopped clocks (no due date) after, then by number.
    return list(db.session.scalars(query.order_by(Application.due_on.is_(None), Application.due_on,
                                                  Application.number)))


def close_expired() -> list[str]:
    """视为放弃: applications whose 补正 period or fee payment period has passed without the
    correction or the payment, closed as the annual report's 其他处理 1 or 2 (run daily). Returns
    their numbers."""
    now, closed = today(), []
    expired = db.session.scalars(select(Application).where(
        ((Application.status == Status.CORRECTING.value) & (Application.correction_due_on < now))
        | ((Application.status == Status.PAUSED.value) & (Application.fee_due_on < now)
           & (Application.fee_amount > 0))))
    for application in list(expired):
        if application.status_enum is Status.PAUSED and not _paused_for_fee(application):
            continue  # paused for consultation after the fee was paid: not waiting for payment
        reason = "no_correction" if application.status_enum is Status.CORRECTING else "unpaid"
        text = ("申请人未在补正期限内补正，视为放弃申请（《政府信息公开条例》第三十条）。" if reason == "no_correction"
                else "申请人未在缴费期限内缴纳信息处理费，视为放弃申请（国办函〔2020〕109号）。")
        try:
            answer(application, None, application.version, "other", reason, {"text": text})
        except (ApplicationRefused, ApplicationConflict):
            db.session.rollback()  # changed meanwhile: tomorrow's run looks again
            continue
        closed.append(application.number)
    return closed


def _last_pause(application: Application) -> ApplicationEvent | None:
    return next((event for event in reversed(application.events) if event.kind == "paused"), None)


def _paused_for_fee(application: Application) -> bool:
    last = _last_pause(application)
    return last is not None and last.detail.get("kind") == "fee"


def third_party_due(application: Application) -> dt.date | None:
    """While a third party is consulted: the last of its 15 working days (Art. 32). A third party
    that has not answered by then leaves the decision to the bureau; the handler resumes the clock."""
    last = _last_pause(application)
    if application.status_enum is not Status.PAUSED or last is None or last.detail.get("kind") != "third_party":
        return None
    return clock.count(last.on, clock.THIRD_PARTY_DAYS).due_on


def purge(on: dt.date | None = None) -> int:
    """Remove personal data from applications closed longer ago than the retention period."""
    days = current_app.extensions["portal.settings"].application_retention_days
    cutoff = (on or today()) - dt.timedelta(days=days)
    purged = 0
    for application in db.session.scalars(select(Application).where(
            Application.answered_on < cutoff, Application.personal_purged_on.is_(None))):
        application.sealed, application.personal_purged_on = _seal({}), on or today()
        for event in application.events:
            event.sealed_note = None
        purged += 1
    audit.record(None, "applications_purged", "application", "", actor_name="command line", detail=str(purged))
    db.session.commit()
    return purged
