"""Chinese error pages; JSON errors under /api/. No stack trace ever reaches a visitor."""
from __future__ import annotations

from flask import Flask, Response, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.log_privacy import PrivateRecords
from portal.web.requests import NulInRequest

MESSAGES = {
    400: ("请求有误", "您的请求中有无法识别的参数。请检查地址或返回上一页重试。"),
    403: ("无权访问", "您没有访问此页面的权限。"),
    404: ("页面不存在", "您要找的页面不存在，可能地址有误，或内容已移动。"),
    405: ("请求方式不允许", "此页面不接受这种请求方式。"),
    410: ("内容已撤回", "此内容已被撤回。"),
    413: ("提交内容过大", "您提交的内容或文件超过了大小限制，请缩小后重试。"),
    429: ("请求过于频繁", "请稍候片刻再试。"),
    500: ("服务器暂时出错", "服务器处理您的请求时出错，我们已记录此问题。请稍后再试。"),
    503: ("服务暂不可用", "服务暂时不可用，请稍后再试。"),
}


class RecordUnreadable(Exception):
    """A published record the database holds can no longer be read as it was published (a value
    only the portal writes was changed outside it, e.g. an unknown rating method). Its pages
    answer 503 saying so, a page section that needs it is replaced by that notice, and the
    publication log's audit names it: never a 500."""

    public_message = "该内容在数据库中的记录无法按发布时的方式读取，可能在平台之外被改动，已暂停显示。请以公开记录日志为准。"


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    if request_ctx.url_adapter is None:
        # The Host header names another site (TRUSTED_HOSTS): no URL of ours can be built for
        # it, and none should be; a plain answer.
        return Response(f"{code} {title}：请求的主机名不属于本站。\n", code, mimetype="text/plain")
    if request.path.startswith("/api/"):
        return {"error": {"status": code, "title": title, "message": detail or message}}, code
    return render_template("web/error.html", code=code, title=title, message=message, detail=detail), code


def init_error_pages(app: Flask) -> None:
    app.logger.addFilter(PrivateRecords())
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, "表单已过期或来源无法验证，请刷新页面后重新提交。")

    @app.errorhandler(NulInRequest)
    def nul_in_request(error: NulInRequest):
        return render_error(400, error.description)

    @app.errorhandler(RecordUnreadable)
    def record_unreadable(error: RecordUnreadable):
        app.logger.error("a published record cannot be read: %s", error)
        return render_error(503, RecordUnreadable.public_message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        # Logged for the maintainers with the traceback; the visitor sees a plain page. A reporting
        # page is not named: a timed line with its path would date a report.
        # The record is dated to the day only (portal.log_privacy).
        reporting = request.path.startswith(("/report", "/apply"))
        app.logger.exception("unhandled error on %s %s", request.method, "a reporting page" if reporting else request.path,
                             extra={"reporting_page": reporting})
        return render_error(InternalServerError.code)
