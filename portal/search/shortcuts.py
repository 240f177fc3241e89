"""Service shortcuts (服务直达): a few curated pointers shown above search results.

People search a government site for what to *do* ("怎么举报", "举报电话", "如何申请公开"), which no
document answers as well as the page that does it. Each entry names the words that call it up and
the page; a shortcut whose page is not part of this portal is left out. Matched on the
normalised query text (traditional → simplified, full-width → half-width), so 舉報 works too.
"""
from __future__ import annotations

from flask import current_app, url_for

from portal.search.analysis import normalise

# The first entry a page matches is the one shown for it: the more specific ones come first.
SHORTCUTS = (
    (("电话", "热线", "12345"), "举报电话：拨打 12345 热线，或在网上匿名举报", "reports.form"),
    (("举报", "投诉", "检举", "揭发", "失信行为"), "我要举报：匿名举报政府部门和公务员违法失信行为", "reports.form"),
    (("回执", "进度", "办理情况"), "凭回执码查询举报办理进度", "reports.follow_up_form"),
    (("评价", "评分", "排名", "得分", "打分"), "诚信评价结果：各科室（中心）历次评价", "ratings.latest"),
    (("红榜", "表彰", "光荣榜", "先进"), "红榜：受表彰的部门和公务员", "ratings.honor_roll"),
    (("预警", "风险"), "风险预警：按公开规则计算的预警", "ratings.warnings"),
    (("申请", "依申请", "指南", "如何公开", "怎么查"), "政府信息公开指南：如何申请获取未公开的信息", "disclosures.guide"),
)
MAX_SHOWN = 3


def shortcuts_for(text: str) -> list[dict]:
    """The shortcuts a query calls up: [{"label", "url"}], at most MAX_SHOWN, each page once."""
    query = normalise(text or "")
    shown: list[dict] = []
    for words, label, endpoint in SHORTCUTS:
        if endpoint not in current_app.view_functions or not any(word in query for word in words):
            continue
        url = url_for(endpoint)
        if any(item["url"] == url for item in shown):
            continue
        shown.append({"label": label, "url": url})
        if len(shown) == MAX_SHOWN:
            break
    return shown
