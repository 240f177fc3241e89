"""The answer letter (答复书) as a PDF, for printing, mailing or keeping.

ReportLab's built-in CID font STSong-Light is used: the PDF names the font and every PDF reader
supplies it (Adobe's Chinese font pack, or the system's), so no font file ships with the portal
and the PDF stays a few kilobytes. The applicant's copy names the application, not the person;
the desk's copy for mailing adds the name and address.
"""
from __future__ import annotations

import io

from flask import Response
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
from xml.sax.saxutils import escape

from portal.applications import answers
from portal.applications.models import Application

FONT = "STSong-Light"
BUREAU = "梅州市应急管理局"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
_BODY = ParagraphStyle("body", fontName=FONT, fontSize=12, leading=20, wordWrap="CJK", firstLineIndent=24)
_PLAIN = ParagraphStyle("plain", parent=_BODY, firstLineIndent=0)
_TITLE = ParagraphStyle("title", parent=_PLAIN, fontSize=18, leading=28, alignment=1)
_RIGHT = ParagraphStyle("right", parent=_PLAIN, alignment=2)


def letter_number(application: Application) -> str:
    return f"梅应急依申复〔{application.answered_on.year}〕{int(application.number.split('-')[1])}号"


def pdf(application: Application, addressee: str = "") -> bytes:
    """The letter of an answered or closed application; `addressee` (the desk's copy) names the person."""
    kind = answers.BY_CODE[application.answer_type]
    answer = application.answer or {}
    heading = kind.label + (f"：{kind.reasons[application.answer_reason]}"
                            if application.answer_reason in kind.reasons else "")
    story = [
        Paragraph(f"{BUREAU}<br/>政府信息公开申请答复书", _TITLE), Spacer(1, 4 * mm),
        Paragraph(letter_number(application), _RIGHT), Spacer(1, 6 * mm),
        Paragraph(escape(addressee or f"申请人（申请编号 {application.number}）") + "：", _PLAIN),
        Paragraph(f"本机关于 {application.received_on.isoformat()} 收到您的政府信息公开申请（申请编号 "
                  f"{application.number}）。经审查，答复如下：", _BODY),
        Paragraph(escape(heading), _BODY),
        *(Paragraph(escape(line), _BODY) for line in answer.get("text", "").splitlines() if line.strip()),
    ]
    for key, label in (("links", "获取方式"), ("how", "获取方式和时间"), ("basis", "法律依据")):
        if answer.get(key):
            story.append(Paragraph(f"{label}：{escape(answer[key])}", _BODY))
    if application.status == "answered":
        story.append(Paragraph(answers.REMEDIES, _BODY))
    story += [Spacer(1, 12 * mm), Paragraph(BUREAU, _RIGHT), Paragraph(application.answered_on.isoformat(), _RIGHT)]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=28 * mm, rightMargin=26 * mm, topMargin=30 * mm,
                      bottomMargin=25 * mm, title=f"答复书 {application.number}", author=BUREAU).build(story)
    return out.getvalue()


def download(application: Application, addressee: str = "") -> Response:
    """The letter as a PDF download."""
    response = Response(pdf(application, addressee), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="answer-{application.number}.pdf"'
    return response
