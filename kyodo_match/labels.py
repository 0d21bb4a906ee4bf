"""What users read for the codes the database stores: roles, stages, group status and type, weekdays, dayparts,
travel modes. Declared once here (lazy msgids, Japanese), used by services, forms, CSV and templates alike.

Templates reach this module as the Jinja global ``labels``: ``{{ labels.WEEKDAY_LABELS["mon"] }}``,
``{{ labels.stage_label(p.stage) }}``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import DAYPARTS, TRAVEL_MODES, WEEKDAYS, GroupStatus, GroupType, Role, Stage

ROLE_LABELS = {
    Role.VOLUNTEER.value: _l("個人ボランティア"),
    Role.GROUP_REP.value: _l("団体の代表者"),
    Role.STAFF.value: _l("市職員"),
    Role.COORDINATOR.value: _l("コーディネーター"),
    Role.ADMIN.value: _l("管理者"),
}

# ステップアップ支援 (IV-5-(1)): 相談 → 助成 → 協働事業, in this order.
STAGE_ORDER = [s.value for s in Stage]
STAGE_LABELS = {
    Stage.CONSULTATION.value: _l("相談"),
    Stage.GRANT.value: _l("助成"),
    Stage.COLLABORATION.value: _l("協働事業"),
}

GROUP_STATUS_LABELS = {
    GroupStatus.PENDING.value: _l("申請中"),
    GroupStatus.VERIFIED.value: _l("確認済"),
    GroupStatus.PAUSED.value: _l("休止"),
    GroupStatus.STOPPED.value: _l("停止"),
}

GROUP_TYPE_LABELS = {
    GroupType.NPO.value: _l("NPO法人"),
    GroupType.NEIGHBOURHOOD.value: _l("自治会"),
    GroupType.VOLUNTEER.value: _l("ボランティア団体"),
    GroupType.PTA.value: _l("PTA"),
    GroupType.SENIOR_CLUB.value: _l("老人クラブ"),
    GroupType.COMPANY.value: _l("企業"),
    GroupType.UNIVERSITY.value: _l("大学"),
    GroupType.REGIONAL_COMMITTEE.value: _l("地域委員会"),
    GroupType.OTHER.value: _l("その他"),
}

# Weekly availability: slot codes are "<weekday>_<daypart>" (models.SLOTS), e.g. "mon_am".
WEEKDAY_LABELS = dict(zip(WEEKDAYS, (_l("月曜日"), _l("火曜日"), _l("水曜日"), _l("木曜日"), _l("金曜日"),
                                     _l("土曜日"), _l("日曜日")), strict=True))
# One character, for compact tables with a column per day.
WEEKDAY_SHORT_LABELS = dict(zip(WEEKDAYS, (_l("月"), _l("火"), _l("水"), _l("木"), _l("金"), _l("土"), _l("日")),
                                strict=True))
DAYPART_LABELS = dict(zip(DAYPARTS, (_l("午前"), _l("午後"), _l("夜間")), strict=True))

TRAVEL_LABELS = dict(zip(TRAVEL_MODES, (_l("徒歩"), _l("自転車"), _l("車")), strict=True))


def stage_label(value: str) -> str:
    return str(STAGE_LABELS.get(value, value))


def group_status_label(value: str) -> str:
    return str(GROUP_STATUS_LABELS.get(value, value))


def role_labels(role_names) -> list[str]:
    """Roles in Japanese, in the order of the Role enum."""
    return [str(ROLE_LABELS[r.value]) for r in Role if r.value in role_names]
