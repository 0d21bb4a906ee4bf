"""メールでのお知らせの設定: for each kind of notice, e-mail each time, once a day in a digest, or not at all.

The in-app notice (お知らせ) always stays; only the e-mail copy follows these settings
(:func:`kyodo_match.notifications.set_mail_mode`, read back by :func:`~kyodo_match.notifications.mail_mode`).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import signed_in
from ..extensions import db
from ..htmx import redirect_to, render
from ..models import Role
from ..notifications import DIGEST, INSTANT, MODES, OFF, mail_mode, set_mail_mode
from .views import bp


@dataclass(frozen=True)
class NoticeGroup:
    """One choice on the page: the notification kinds it covers and who can receive them."""

    key: str  # the form field's name
    label: object  # lazy string
    hint: object
    kinds: tuple[str, ...]
    roles: frozenset[str]


_EVERYONE = frozenset(r.value for r in Role)
_CITIZENS = frozenset({Role.VOLUNTEER.value, Role.GROUP_REP.value})

# Every kind some domain passes to notify()/notify_many(): application steps (applications/notices.py), project
# changes (projects/services.py), partners and the agreement (projects/partners.py, agreement.py), proposals
# (proposals/services.py) and the evaluation sheet (projects/evaluation.py).
GROUPS: tuple[NoticeGroup, ...] = (
    NoticeGroup("application", _l("応募・招待の動き"),
                _l("応募の承認・確定・キャンセル待ち・見送り、招待、応募へのメッセージなど"),
                ("application",), _EVERYONE),
    NoticeGroup("project_revised", _l("参加している事業の変更"),
                _l("パートナーとして参加している事業の内容が変わったとき"),
                ("project_revised",), _CITIZENS),
    NoticeGroup("partner", _l("パートナー・協定"),
                _l("パートナーに選ばれた・選定が取り消されたとき、協定が確認されたとき"),
                ("project_partner_selected", "project_partner_removed", "project_agreement_confirmed"),
                _EVERYONE),
    NoticeGroup("proposal", _l("事業提案"),
                _l("提案が担当課に届いたとき、採用・不採用が決まったとき、担当課に提案が振り分けられたとき"),
                ("proposal_routed", "proposal_accepted", "proposal_declined", "proposal_routed_to_department"),
                frozenset({*_CITIZENS, Role.STAFF.value})),
    NoticeGroup("adopt", _l("アダプトプログラム"),
                _l("里親の申請・承認・合意書、修繕の依頼とその対応、物品の支給、コーディネーター向けの確認"),
                ("adopt_adoption", "adopt_agreement", "adopt_repair_requested", "adopt_repair_status",
                 "adopt_supply_requested", "adopt_supply_status", "adopt_reminders"),
                frozenset({Role.GROUP_REP.value, Role.STAFF.value, Role.COORDINATOR.value, Role.ADMIN.value})),
    NoticeGroup("staff_activity", _l("1課1ボランティア"),
                _l("キャンセル待ちからの繰り上がり、申し込んだ活動の日時・場所の変更や中止"),
                ("staff_activity",), frozenset({Role.STAFF.value})),
    NoticeGroup("evaluation", _l("評価シート"),
                _l("協働事業の評価シートに相手が回答したとき"),
                ("evaluation_finished",), _EVERYONE),
)

MODE_LABELS = {
    INSTANT: _l("メールで毎回"),
    DIGEST: _l("1日1回まとめて"),
    OFF: _l("メールは送らない（お知らせには常に表示）"),
}


def groups_for(user) -> list[NoticeGroup]:
    """The choices that concern ``user`` (all of them for an account without a role)."""
    roles = set(user.role_names)
    return [g for g in GROUPS if not roles or roles & g.roles]


@bp.route("/notifications/settings", methods=["GET", "POST"])
@signed_in
def notification_settings():
    """メールでのお知らせの設定: one choice per kind of notice; the in-app notice always stays."""
    user = current_user._get_current_object()
    groups = groups_for(user)
    current = {g.key: mail_mode(user.id, g.kinds[0]) for g in groups}
    errors: dict[str, str] = {}
    if request.method == "POST":
        chosen = {g.key: request.form.get(g.key, "") for g in groups}
        errors = {key: _("「メールで毎回」「1日1回まとめて」「メールは送らない」のどれかを選んでください。")
                  for key, mode in chosen.items() if mode not in MODES}
        if not errors:
            for g in groups:
                for kind in g.kinds:
                    set_mail_mode(user, kind, chosen[g.key])
            db.session.commit()
            flash(_("メールでのお知らせの設定を保存しました。"), "success")
            return redirect_to(url_for("account.notification_settings"))
        current.update({k: v for k, v in chosen.items() if v in MODES})
    return render("account/notification_settings.html", block="form", groups=groups, current=current,
                  errors=errors, modes=MODE_LABELS, status=422 if errors else 200)
