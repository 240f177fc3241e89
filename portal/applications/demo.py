"""Demo applications (示例), one or more in every state, so that a fresh portal's desk and
statistics show what they will look like. Every one is marked demo and says 示例 wherever shown."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.applications import services
from portal.applications.models import Application
from portal.clock import today
from portal.extensions import db

_BASE = {"applicant_type": "natural", "id_type": "resident_id", "form_wanted": "electronic", "delivery": "online",
         "email": "demo@example.invalid", "waiver_reason": ""}
DEMOS = (
    ("示例申请人甲", "申请获取本局2025年度安全生产执法检查计划及完成情况（示例）。", None),
    ("示例申请人乙", "申请获取某次应急演练的经费预算明细（示例，描述不够明确，需补正）。", "correct"),
    ("示例申请人丙", "申请获取本局政务诚信建设实施方案的起草说明（示例）。", "accept"),
    ("示例企业丁", "申请获取涉及本企业的一份行政检查记录（示例，需征求第三方意见）。", "pause"),
    ("示例申请人戊", "申请获取2024年全市危险化学品企业名单（示例，已延期答复）。", "extend"),
    ("示例申请人己", "申请获取本局2020年诚信建设实施方案全文（示例，已主动公开）。", "published"),
    ("示例申请人庚", "申请获取某项目内部讨论记录（示例，属于过程性信息）。", "withheld"),
    ("示例申请人辛", "申请获取本局会议纪要（示例，申请人已撤回）。", "withdrawn"),
)


def load(if_empty: bool = False) -> int:
    if if_empty and db.session.scalar(select(func.count(Application.id))):
        return 0
    for n, (name, description, step) in enumerate(DEMOS):
        form = {**_BASE, "name": name, "id_number": f"DEMO{n:04d}", "description": description}
        if name.startswith("示例企业"):
            form.update(applicant_type="organisation", organisation_kind="commercial", id_type="credit_code")
        entry = services.parse_form(form)
        entry.channel, entry.sent_on = "post", today() - dt.timedelta(days=3)
        application, _secret = services.submit(entry, demo=True)
        _advance(application, step)
    return len(DEMOS)


def _advance(application: Application, step: str | None) -> None:
    def version() -> int:
        return application.version

    if step == "correct":
        services.request_correction(application, None, version(), "请写明所需预算对应的演练名称和年份（示例）。")
    elif step in ("accept", "pause", "extend"):
        services.accept(application, None, version())
        if step == "pause":
            services.pause(application, None, version(), "third_party", "就是否公开征求相关企业意见（示例）。")
        if step == "extend":
            services.extend(application, None, version(), 10, "需要汇总多个科室的材料（示例）。", "办公室主任（示例）")
    elif step == "published":
        services.answer(application, None, version(), "already_published", "", {
            "text": "您申请的信息已主动公开（示例）。", "links": "/disclosures/2020-integrity-plan"})
    elif step == "withheld":
        services.answer(application, None, version(), "withheld", "process_information", {
            "text": "您申请的信息属于内部讨论记录，不予公开（示例）。", "basis": "《中华人民共和国政府信息公开条例》第十六条第二款"})
    elif step == "withdrawn":
        services.answer(application, None, version(), "other", "other", {"text": "申请人撤回申请（示例）。"})
