"""CSV for Excel: every person or group matching the filters, private contact data included, audited."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from flask_babel import gettext as _

from .. import audit
from ..extensions import db
from ..i18n import jst
from ..labels import GROUP_STATUS_LABELS, GROUP_TYPE_LABELS, stage_label
from .services import GroupFilters, PeopleFilters, filter_args, groups_query, people_query

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A cell as text; one that a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_("はい") if value else _("いいえ"))
    text = value.isoformat() if isinstance(value, date) and not isinstance(value, datetime) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: list, rows: list[list]) -> str:
    """UTF-8 text with a BOM first and CRLF line ends, so Excel opens Japanese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([csv_cell(c) for c in row] for row in rows)
    return "\ufeff" + buffer.getvalue()


def _names(items, attr: str = "name") -> str:
    return "、".join(str(getattr(i, attr)) for i in items)


def export_people(actor, filters: PeopleFilters) -> str:
    """Every profile matching the filters, private contact data included; the export is audited with its count."""
    profiles = list(db.session.scalars(people_query(filters, for_export=True)))
    header = [_("利用者番号"), _("表示名"), _("氏名"), _("ふりがな"), _("メールアドレス"), _("電話番号"),
              _("郵便番号"), _("未成年"), _("保護者の氏名"), _("住まいの地域"), _("活動できる地域"), _("特技・技能"),
              _("活動分野"), _("資格"), _("ステップアップ段階"), _("公開カード"), _("登録日"), _("有効期限")]
    rows = [[
        p.user_id, p.user.display_name, p.real_name, p.real_name_kana, p.contact_email, p.phone, p.postal_code,
        p.is_minor, p.guardian_name, p.home_district.name if p.home_district else "", _names(p.districts),
        _names(p.skills), _names(p.fields, "label"),
        "、".join(f"{q.name}（{q.year}）" if q.year else q.name for q in p.qualifications),
        stage_label(p.stage), p.public_card, jst(p.registered_at, "%Y-%m-%d"), p.expires_on,
    ] for p in profiles]
    audit.record("personal_data_exported", actor=actor, target="volunteers", rows=len(rows),
                 filters=filter_args(filters))
    return to_csv(header, rows)


def export_groups(actor, filters: GroupFilters) -> str:
    """Every group matching the filters, private contact data and address included; audited with its count."""
    groups = list(db.session.scalars(groups_query(filters, for_export=True)))
    header = [_("団体番号"), _("団体名"), _("ふりがな"), _("種別"), _("状態"), _("代表者名"), _("法人番号"),
              _("メールアドレス"), _("電話番号"), _("郵便番号"), _("住所"), _("公開する連絡先"), _("ウェブサイト"),
              _("会員数"), _("設立年"), _("活動地域"), _("活動分野"), _("特技・技能"), _("ステップアップ段階"),
              _("登録日")]
    rows = [[
        g.id, g.name, g.name_kana, GROUP_TYPE_LABELS.get(g.group_type, g.group_type),
        GROUP_STATUS_LABELS.get(g.status, g.status), g.representative_name, g.corporate_number, g.contact_email,
        g.contact_phone, g.postal_code, g.address, g.public_contact, g.website, g.members_count, g.founded_year,
        _names(g.districts), _names(g.fields, "label"), _names(g.skills), stage_label(g.stage),
        jst(g.created_at, "%Y-%m-%d"),
    ] for g in groups]
    audit.record("personal_data_exported", actor=actor, target="groups", rows=len(rows),
                 filters=filter_args(filters))
    return to_csv(header, rows)
