"""The answers of Art. 36, in the rows of the annual report's Table 3 (国办公开办函〔2021〕30号).

Each answer type says what the answer letter must contain; a type with reasons needs one of them
(the annual report counts by reason). Answers of the "other" row close an application that was
not answered on its substance (逾期不补正, 逾期未缴费, 其他 such as a withdrawal).
"""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class AnswerType:
    code: str
    row: str  # Table 3's row, 三（一）…（六）
    label: str
    reasons: dict[str, str]  # code → the annual report's wording
    needs: tuple[str, ...]  # fields the answer must fill in
    closes: bool = False  # ends the application without a substantive answer (state "closed")


WITHHELD = {  # 三（三）不予公开
    "state_secret": "属于国家秘密",
    "law_forbids": "其他法律行政法规禁止公开",
    "security_stability": "危及“三安全一稳定”",
    "third_party": "保护第三方合法权益",
    "internal_affairs": "属于三类内部事务信息",
    "process_information": "属于四类过程性信息",
    "enforcement_file": "属于行政执法案卷",
    "inquiry_matter": "属于行政查询事项",
}
UNABLE = {  # 三（四）无法提供
    "not_held": "本机关不掌握相关政府信息",
    "needs_creation": "没有现成信息需要另行制作",
    "still_unclear": "补正后申请内容仍不明确",
}
NOT_PROCESSED = {  # 三（五）不予处理
    "petition": "信访举报投诉类申请",
    "repeated": "重复申请",
    "publication": "要求提供公开出版物",
    "mass_repeated": "无正当理由大量反复申请",
    "confirm_reissue": "要求行政机关确认或重新出具已获取信息",
}
OTHER = {  # 三（六）其他处理
    "no_correction": "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "unpaid": "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other": "其他",
}

TYPES = (
    AnswerType("already_published", "（一）予以公开", "已主动公开（告知获取方式）", {}, ("text", "links")),
    AnswerType("disclosed", "（一）予以公开", "予以公开", {}, ("text", "how")),
    AnswerType("partly", "（二）部分公开", "部分公开", WITHHELD, ("text", "how", "basis")),
    AnswerType("withheld", "（三）不予公开", "不予公开", WITHHELD, ("text", "basis")),
    AnswerType("unable", "（四）无法提供", "无法提供", UNABLE, ("text",)),
    AnswerType("not_processed", "（五）不予处理", "不予处理", NOT_PROCESSED, ("text",)),
    AnswerType("other", "（六）其他处理", "其他处理", OTHER, ("text",), closes=True),
)
BY_CODE = {answer.code: answer for answer in TYPES}
FIELD_LABELS = {"text": "答复内容", "links": "已公开信息的网址", "how": "获取方式和时间", "basis": "法律依据"}
REMEDIES = ("申请人对本答复不服的，可以自收到本答复之日起六十日内向梅州市人民政府申请行政复议，"
            "或者在六个月内依法向人民法院提起行政诉讼。")
