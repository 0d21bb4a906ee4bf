"""Template globals: navigation by role, the htmx source, dates in JST, the labels of stored codes."""

from __future__ import annotations

import json

from flask import Flask, current_app, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from . import labels as labels_module
from . import notifications
from .i18n import jst, jst_when, local_day
from .models import Role

# (endpoint, label, roles that see it; None = everyone signed in or not)
NAVIGATION = [
    ("main.home", _l("ホーム"), None),
    ("volunteers.index", _l("人材バンク"), None),
    ("volunteers.me", _l("わたしの登録"), (Role.VOLUNTEER,)),
    ("groups.index", _l("活動団体"), None),
    ("groups.mine", _l("わたしの団体"), (Role.GROUP_REP,)),
    ("groups.queue", _l("団体の確認"), (Role.COORDINATOR, Role.ADMIN)),
    ("projects.index", _l("地域課題・協働事業"), None),
    ("proposals.index", _l("事業提案"), None),
    ("adopt.index", _l("アダプト（里親）"), None),
    ("applications.mine", _l("わたしの応募"), (Role.VOLUNTEER, Role.GROUP_REP)),
    ("projects.partnered", _l("わたしの協働事業"), (Role.VOLUNTEER, Role.GROUP_REP)),
    ("projects.mine", _l("担当課の事業"), (Role.STAFF,)),
    ("staffvol.index", _l("1課1ボランティア"), (Role.STAFF, Role.COORDINATOR, Role.ADMIN)),
    ("account.show", _l("アカウント"), "signed_in"),
    ("coordination.desk", _l("コーディネーター"), (Role.COORDINATOR, Role.ADMIN)),
    ("admin.index", _l("管理"), (Role.ADMIN,)),
]

HTMX_CONFIG = {
    "selfRequestsOnly": True,
    "allowScriptTags": False,
    "allowEval": False,
    "historyCacheSize": 0,
    "historyRestoreAsHxRequest": False,
    "includeIndicatorStyles": False,
    "refreshOnHistoryMiss": True,
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "422", "swap": True},
        {"code": "[45]..", "swap": False, "error": True},
    ],
}


def navigation() -> list[tuple[str, str]]:
    items = []
    for endpoint, label, roles in NAVIGATION:
        if endpoint not in current_app.view_functions:
            continue
        if roles == "signed_in" and not current_user.is_authenticated:
            continue
        if isinstance(roles, tuple) and not (current_user.is_authenticated and current_user.has_role(*roles)):
            continue
        items.append((endpoint, label))
    return items


def htmx_script() -> dict[str, str | None]:
    cfg = current_app.config
    if cfg["KYODO_HTMX_SOURCE"] == "local":
        return {"src": url_for("static", filename="vendor/htmx.min.js"), "integrity": cfg["KYODO_HTMX_SRI"]}
    return {"src": cfg["KYODO_HTMX_CDN_URL"], "integrity": cfg["KYODO_HTMX_SRI"]}


def register_templating(app: Flask) -> None:
    app.jinja_env.filters["jst"] = jst
    app.jinja_env.filters["day"] = local_day
    app.jinja_env.filters["when"] = jst_when
    app.jinja_env.globals.update(
        navigation=navigation,
        htmx_script=htmx_script,
        htmx_config=json.dumps(HTMX_CONFIG, separators=(",", ":")),
        current_locale=lambda: str(get_locale() or "ja"),
        Role=Role,
        labels=labels_module,
        unread_notifications=notifications.unread_count,
    )
