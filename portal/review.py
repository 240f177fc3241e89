"""The two-person review every publication goes through, whatever its kind.

    draft ──submit──▶ submitted ──approve──▶ published      (by a reviewer who is not the author)
                          └──return──▶ returned ──(edited)──submit──▶ submitted

A kind's reviewed row (a disclosure draft, a rating edition version) has a state, the id of who
wrote or submitted it, the reviewer's id and comment, and usually a version number bumped by every
write. A Workflow names those columns once and keeps the rules for every kind alike:

- nothing is published by one person alone: the author may not approve or return their own item;
- every write is a conditional update on the state (and the version the person was looking at),
  so of two reviewers acting at once one wins and the other is told, and nothing is half-done;
- every action, allowed or refused, is in the audit log, with the same names for every kind
  (`<prefix>_submitted`, `<prefix>_returned`, `<prefix>_approved`).

The kind's services call these and then do their own part (write the disclosure, stamp the
rating's checksum) in the same transaction, commit, and announce the publication.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from sqlalchemy import update

from portal.clock import utcnow
from portal.extensions import db
from portal.staff import audit
from portal.staff.models import Role, StaffUser

DRAFT, SUBMITTED, RETURNED, PUBLISHED = "draft", "submitted", "returned", "published"
STATE_LABELS = {DRAFT: "草稿", SUBMITTED: "待审核", RETURNED: "已退回", PUBLISHED: "已发布"}
EDITABLE = (DRAFT, RETURNED)
MAX_COMMENT_CHARS = 2_000


class ReviewRefused(Exception):
    """A refused action. `message` is for the staff member; `errors` maps form fields."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None, status: int = 400):
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})
        self.status = status  # 400 bad input, 403 not allowed, 409 someone else acted first


@dataclasses.dataclass(frozen=True)
class Workflow:
    model: type  # the reviewed row
    audit_type: str  # the audit log's object type for it, e.g. "draft"
    action_prefix: str  # the audit log's action names: "<prefix>_submitted", ...
    noun: str  # what the item is called on the page, e.g. "草稿"
    authored: str  # what its author did, e.g. "撰写"
    audit_id: Callable[[object], str]  # the audit log's object id of one item
    author_column: str = "author_id"
    reviewer_column: str = "reviewer_id"
    comment_column: str = "review_comment"
    # None: the item cannot be edited once submitted, so its state alone settles a race.
    version_column: str | None = "version"
    updated_column: str | None = "updated_at"

    # --- who may -------------------------------------------------------------------------

    def require(self, staff: StaffUser, role: Role, action: str) -> None:
        if not staff.has_role(role):
            audit.record_now(staff, action, outcome="denied", detail=f"需要角色 {role.value}")
            raise ReviewRefused("您没有执行此操作的权限。", status=403)

    def check_author(self, item, author: StaffUser, action: str) -> None:
        """An editor changing their own item while it is a draft or returned."""
        self.require(author, Role.EDITOR, action)
        if getattr(item, self.author_column) != author.id:
            audit.record_now(author, action, self.audit_type, self.audit_id(item), outcome="denied", detail="不是作者")
            raise ReviewRefused(f"只有{self.noun}的作者可以修改它。", status=403)
        if item.state not in EDITABLE:
            audit.record_now(author, action, self.audit_type, self.audit_id(item), outcome="failed",
                             detail=f"状态 {item.state}")
            raise ReviewRefused(f"{self.noun}当前状态为“{STATE_LABELS.get(item.state, item.state)}”，不能修改。",
                                status=409)

    def check_reviewer(self, item, reviewer: StaffUser, action: str) -> None:
        """A reviewer who is not the author: nothing is published by one person alone."""
        self.require(reviewer, Role.REVIEWER, action)
        if getattr(item, self.author_column) == reviewer.id:
            audit.record_now(reviewer, action, self.audit_type, self.audit_id(item), outcome="denied",
                             detail=f"审核自己{self.authored}的{self.noun}")
            raise ReviewRefused(f"不能审核自己{self.authored}的{self.noun}：发布需要另一位审核人批准。", status=403)

    # --- the steps -----------------------------------------------------------------------

    def claim(self, item, expected_version: int | None, states: tuple[str, ...], actor: StaffUser, action: str,
              **values) -> None:
        """Write `values` to the item only if it is still in one of `states` (and at
        `expected_version`); otherwise roll back, record the attempt and refuse with 409."""
        model = self.model
        conditions = [model.id == item.id, model.state.in_(states)]
        if self.version_column:
            version = getattr(model, self.version_column)
            conditions.append(version == expected_version)
            values[self.version_column] = version + 1
        if self.updated_column:
            values[self.updated_column] = utcnow()
        claimed = db.session.execute(
            update(model).where(*conditions).values(**values).execution_options(synchronize_session=False)
        ).rowcount == 1
        if not claimed:
            db.session.rollback()
            audit.record_now(actor, action, self.audit_type, self.audit_id(item), outcome="failed",
                             detail="已被他人处理或修改")
            raise ReviewRefused(f"这份{self.noun}在您打开之后已被处理或修改（例如已提交、已发布或已退回）。"
                                "请刷新页面查看最新状态。", status=409)
        db.session.refresh(item)

    def submit(self, item, author: StaffUser, expected_version: int | None, detail: str = "") -> None:
        """The author asks for review (the caller commits)."""
        action = f"{self.action_prefix}_submitted"
        self.check_author(item, author, action)
        self.claim(item, expected_version, EDITABLE, author, action, state=SUBMITTED)
        audit.record(author, action, self.audit_type, self.audit_id(item), detail=detail)

    def return_to_author(self, item, reviewer: StaffUser, comment: str, expected_version: int | None,
                         detail: str = "") -> None:
        """A reviewer sends the item back with what to change (the caller commits)."""
        action = f"{self.action_prefix}_returned"
        self.check_reviewer(item, reviewer, action)
        comment = (comment or "").strip()
        if not comment or len(comment) > MAX_COMMENT_CHARS:
            raise ReviewRefused(f"退回时请写明需要修改的地方（最多 {MAX_COMMENT_CHARS} 个字符）。",
                                {"comment": "请填写退回意见"})
        self.claim(item, expected_version, (SUBMITTED,), reviewer, action, state=RETURNED,
                   **{self.reviewer_column: reviewer.id, self.comment_column: comment})
        audit.record(reviewer, action, self.audit_type, self.audit_id(item), detail=detail)

    def approve(self, item, reviewer: StaffUser, expected_version: int | None, **published_values) -> None:
        """A reviewer approves: the item is claimed as published, with `published_values`
        (a checksum, a date) in the same conditional update. The caller writes the publication,
        records it in the audit log, commits and announces it."""
        action = f"{self.action_prefix}_approved"
        self.check_reviewer(item, reviewer, action)
        self.claim(item, expected_version, (SUBMITTED,), reviewer, action, state=PUBLISHED,
                   **{self.reviewer_column: reviewer.id, self.comment_column: ""}, **published_values)

    def awaiting(self) -> list:
        """Items waiting for a reviewer, oldest first."""
        order = getattr(self.model, self.updated_column) if self.updated_column else self.model.id
        return list(db.session.scalars(db.select(self.model).where(self.model.state == SUBMITTED).order_by(order)))
