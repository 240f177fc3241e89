"""The audit log: every staff action appended with who, when, on what and what happened.

`record` adds the entry to the current transaction, so an action and its entry are committed
together; `record_now` commits the entry on its own, for refusals whose action was rolled back.
Never pass the content of a report here: ids, states and field names only.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import select

from portal.staff.models import AuditEntry, RefusalCount, StaffUser
from portal.clock import today
from portal.extensions import db
from portal.upsert import upsert
from portal.web.spreadsheet import safe_row
from portal.web.pagination import Page, paginate

ACTION_LABELS = {
    "login": "登录",
    "login_failed": "登录失败",
    "login_throttled": "登录受限",
    "totp_failed": "验证码错误",
    "logout": "退出",
    "session_expired": "会话超时",
    "totp_enrolled": "启用两步验证",
    "totp_reset": "重置两步验证",
    "password_changed": "修改密码",
    "account_created": "创建账号",
    "account_changed": "修改账号",
    "roles_changed": "角色变更",
    "access_denied": "越权访问",
    "csrf_refused": "表单校验失败",
    "draft_created": "创建草稿",
    "draft_saved": "保存草稿",
    "draft_submitted": "提交审核",
    "draft_approved": "审核通过并发布",
    "draft_returned": "退回修改",
    "attachment_added": "上传附件",
    "attachment_removed": "删除附件",
    "correction_started": "发起更正",
    "disclosure_withdrawn": "撤回",
    "publication_refused": "发布被拒绝",
    "audit_exported": "导出审计日志",
    "rating_submitted": "提交评价结果",
    "rating_approved": "批准发布评价结果",
    "rating_returned": "退回评价结果",
    "desk_key_created": "创建举报加密密钥",
    "desk_unlocked": "解锁举报受理台",
    "desk_unlock_failed": "解锁举报受理台失败",
    "report_entered": "登记其他渠道举报",
    "report_viewed": "查看举报",
    "report_assigned": "分派举报",
    "report_status": "变更举报状态",
    "report_note": "添加内部备注",
    "report_reply": "答复举报人",
    "report_file_downloaded": "下载举报附件",
    "reports_purged": "清除到期举报",
}


def record(actor: StaffUser | None, action: str, object_type: str = "", object_id: object = "",
           outcome: str = "ok", detail: str = "", data: dict | None = None,
           actor_name: str | None = None) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else (actor_name or "—")[:64],
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:100],
        outcome=outcome,
        detail=detail[:500],
        data=data,
    )
    db.session.add(entry)
    return entry


def record_now(*args, **kwargs) -> None:
    """Record and commit at once (after the failed action's transaction was rolled back)."""
    record(*args, **kwargs)
    db.session.commit()


def count_refusal(action: str) -> None:
    """An anonymous request refused (no one to name): one more in today's count, committed."""
    upsert(RefusalCount, {"day": today(), "action": action, "count": 1}, [RefusalCount.day, RefusalCount.action],
           {"count": RefusalCount.count + 1})
    db.session.commit()


def refusal_counts(days: int = 30) -> list[RefusalCount]:
    """The last `days` days' counts, newest first."""
    return list(db.session.scalars(select(RefusalCount).order_by(RefusalCount.day.desc(), RefusalCount.action)
                                   .limit(days * 4)))


def _filtered(action: str | None):
    statement = select(AuditEntry)
    if action:
        statement = statement.where(AuditEntry.action == action)
    return statement


def list_entries(page: int = 1, per_page: int = 50, action: str | None = None) -> Page:
    """Newest first."""
    return paginate(_filtered(action).order_by(AuditEntry.id.desc()), page, per_page)


CSV_COLUMNS = ("id", "at_utc", "actor", "action", "object_type", "object_id", "outcome", "detail")


def export_csv(action: str | None = None) -> Iterator[str]:
    """The log as CSV rows (UTF-8 with BOM, so Excel on Chinese Windows opens it right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    for entry in db.session.scalars(_filtered(action).order_by(AuditEntry.id).execution_options(yield_per=500)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(safe_row([
            entry.id, entry.at.isoformat(timespec="seconds"), entry.actor_name, entry.action,
            entry.object_type, entry.object_id, entry.outcome, entry.detail,
        ]))
        yield buffer.getvalue()



