"""Domain exceptions and Japanese error pages (a page, or a fragment for htmx); never a stack trace."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import audit
from .htmx import render


class RuleViolation(Exception):
    """A domain rule refused the change (422)."""

    status = 422

    def __init__(self, message: str, problems: list[str] | None = None, fields: list[str | None] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []
        # The form field each problem is about (None: no one field), so a page can link to where to fix it.
        self.fields = fields or [None] * len(self.problems)

    def linked_problems(self) -> list[tuple[str, str | None]]:
        return list(zip(self.problems, self.fields, strict=False))


class FieldRefused(RuleViolation):
    """A rule refused the value of one form field (422): the view shows ``message`` beside form field ``field``."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def commit_unless_refused(form, save) -> bool:
    """Run ``save()`` and commit: True. When it raises FieldRefused, roll back and put the message beside that
    field of ``form`` instead: False (the view re-renders the form with 422)."""
    from .extensions import db

    try:
        save()
    except FieldRefused as e:
        db.session.rollback()
        form[e.field].errors = [*form[e.field].errors, e.message]
        return False
    db.session.commit()
    return True


class Conflict(RuleViolation):
    """The change collides with the current state (409): applying twice, an illegal transition."""

    status = 409


class BadRequest(RuleViolation):
    """An address or value the pages never make — an edited URL (400), answered with what was wrong."""

    status = 400


class NotAllowed(Exception):
    """The user may not do this (403). ``message``, when given, is shown on the error page: how to get there."""

    def __init__(self, message: str | None = None):
        super().__init__(message or "")
        self.message = message


MESSAGES = {
    400: (_l("リクエストを処理できませんでした"), _l("入力内容を確認して、もう一度お試しください。")),
    401: (_l("ログインが必要です"), _l("続けるにはログインしてください。")),
    403: (_l("このページを表示する権限がありません"), _l("必要な場合は市民活動センターにお問い合わせください。")),
    404: (_l("ページが見つかりません"), _l("URLが正しいか確認してください。削除された可能性もあります。")),
    405: (_l("この操作はできません"), _l("画面の案内に沿って操作してください。")),
    409: (_l("現在の状態ではこの操作はできません"), _l("画面を更新して、最新の状態を確認してください。")),
    413: (_l("送信されたデータが大きすぎます"), _l("ファイルの大きさや文字数を減らして、もう一度お試しください。")),
    422: (_l("入力内容に誤りがあります"), _l("表示された内容を確認して、修正してください。")),
    429: (
        _l("しばらく時間をおいてからお試しください"),
        _l("短い時間に多くの操作がありました。少し待ってから、もう一度お試しください。"),
    ),
    500: (
        _l("システムでエラーが発生しました"),
        _l("ご迷惑をおかけしています。時間をおいてもう一度お試しください。"),
    ),
}


def is_api_request() -> bool:
    """The JSON API (/api/…): errors are JSON there, never an HTML page."""
    return request.path.startswith("/api/")


def error_response(status: int, detail: str | None = None, problems: list[str] | None = None, headers=None):
    title, hint = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    if is_api_request():
        from flask import jsonify

        response = jsonify({"error": str(detail or title), "problems": [str(p) for p in problems or []]})
        response.status_code = status
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response
    response = render(
        "errors/error.html", block="content", status=status,
        status_code=status, title=title, hint=hint, detail=detail, problems=problems or [],
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(e):
        message = _l("ページの有効期限が切れたか、不正な送信です。ページを読み込み直してください。")
        return error_response(400, str(message))

    @app.errorhandler(RuleViolation)
    def rule_violation(e: RuleViolation):
        return error_response(e.status, e.message, e.problems)

    def refused(detail: str | None = None):
        audit.record_now(
            "forbidden", actor=current_user if current_user.is_authenticated else None,
            outcome="denied", target=f"{request.method} {request.path}",
        )
        return error_response(403, detail)

    @app.errorhandler(NotAllowed)
    def not_allowed(e: NotAllowed):
        return refused(e.message)

    @app.errorhandler(403)
    def forbidden(e):
        return refused()

    @app.errorhandler(429)
    def too_many(e):
        headers = {}
        if retry := getattr(e, "retry_after", None):
            headers["Retry-After"] = str(retry)
        return error_response(429, headers=headers)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        return error_response(e.code or 500)

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        from .extensions import db

        db.session.rollback()
        return error_response(500)
