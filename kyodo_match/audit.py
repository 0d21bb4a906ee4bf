"""Write the audit log: who did what, from where, when (UTC). Never a password, token or form body."""

from __future__ import annotations

from flask import has_request_context, request

from .database import set_write_intent
from .extensions import db
from .models import AuditEvent

# Actions written by the product; the admin page filters by these.
ACTIONS = {
    "login": "ログイン",
    "login_failed": "ログイン失敗",
    "login_throttled": "ログイン制限",
    "logout": "ログアウト",
    "register": "新規登録",
    "password_changed": "パスワード変更",
    "password_reset_requested": "パスワード再設定の依頼",
    "password_reset": "パスワード再設定",
    "session_rejected": "無効なセッション",
    "forbidden": "権限のないアクセス",
    "account_updated": "アカウント情報の変更",
    "account_exported": "自分のデータの書き出し",
    "account_deleted": "アカウント削除",
    "user_created": "ユーザー作成",
    "user_updated": "ユーザー更新",
    "user_deactivated": "ユーザー停止",
    "user_reactivated": "ユーザー再開",
    "reference_changed": "基本データの変更",
    "personal_data_viewed": "個人情報の閲覧",
    "personal_data_exported": "個人情報の書き出し",
    "stage_changed": "ステップアップ段階の変更",
    "group_status_changed": "団体の登録状況の変更",
    "group_private_viewed": "団体の非公開情報の閲覧",
    "group_representative_invited": "団体の代表者への招待",
    "group_representative_joined": "団体の代表者の追加",
    "group_representative_left": "団体の代表者の辞退",
    "proposal_submitted": "事業提案の受付",
    "proposal_routed": "事業提案の担当課への取り次ぎ",
    "proposal_accepted": "事業提案の採用",
    "proposal_declined": "事業提案の不採用",
    "project_partner_selected": "協働のパートナーの選定",
    "project_partner_removed": "協働のパートナーの取り消し",
    "project_agreement_confirmed": "協定の確認",
}


def _request_origin() -> tuple[str | None, str | None]:
    if not has_request_context():
        return None, "cli"
    return request.remote_addr, (request.user_agent.string or "")[:200]


def record(action: str, *, actor=None, outcome: str = "ok", target: str | None = None, **details) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits with its own change)."""
    ip, agent = _request_origin()
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        outcome=outcome,
        target=(target or "")[:200] or None,
        ip=ip,
        user_agent=agent,
        details={k: v for k, v in details.items() if v is not None},
    )
    db.session.add(event)
    return event


def record_now(action: str, **kwargs) -> None:
    """Write an event in its own transaction: for refusals, where the request's own work is DROPPED (rolled back).

    To keep what the session holds, use :func:`begin_write` (or :func:`record_after_read`) instead.
    """
    db.session.rollback()
    set_write_intent(True)
    record(action, **kwargs)
    db.session.commit()


def begin_write() -> None:
    """For a GET that writes to the audit log: end the read transaction, COMMITTING whatever the session holds
    (nothing is dropped, unlike :func:`record_now`), so that the next transaction begins IMMEDIATE (SQLite) and
    takes the write lock before it reads. Then read, :func:`record` and commit as usual."""
    db.session.commit()
    set_write_intent(True)


def record_after_read(action: str, **kwargs) -> None:
    """Write an event in its own write transaction after a read, keeping (committing) the session's work first."""
    begin_write()
    record(action, **kwargs)
    db.session.commit()
