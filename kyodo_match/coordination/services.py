"""Coordinator work: find people and groups (private data included), 相談記録, ステップアップ段階, CSV export."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from .. import audit
from ..errors import FieldRefused, NotAllowed
from ..extensions import db
from ..i18n import today_jst
from ..labels import GROUP_STATUS_LABELS, STAGE_ORDER, stage_label
from ..models import (
    ActivityField,
    Area,
    CivicGroup,
    Consultation,
    District,
    GroupRepresentative,
    Role,
    User,
    VolunteerProfile,
)

PER_PAGE = 30
EXPIRING_DAYS = 60  # 登録の有効期限が近い: the renewal reminder window

EXPIRY_LABELS = {"soon": _l("60日以内に期限が切れる"), "expired": _l("期限が切れている")}

Subject = VolunteerProfile | CivicGroup


# --- Finding people and groups ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PeopleFilters:
    q: str = ""
    district: int | None = None
    field: int | None = None
    stage: str = ""
    expiry: str = ""


@dataclass(frozen=True)
class GroupFilters:
    q: str = ""
    status: str = ""
    group_type: str = ""
    district: int | None = None
    field: int | None = None
    stage: str = ""


def filter_choices() -> dict:
    """Districts (by area) and activity fields for the filter menus."""
    districts = db.session.scalars(select(District).join(District.area).order_by(Area.position, District.position))
    return {"districts": list(districts),
            "fields": list(db.session.scalars(select(ActivityField).order_by(ActivityField.code)))}


def filter_args(filters) -> dict:
    """The filters as URL parameters (empty ones left out): for page links and the CSV link."""
    return {k: v for k, v in asdict(filters).items() if v not in (None, "")}


def _kana_variants(text: str) -> set[str]:
    """The text as typed, in hiragana and in katakana: 「せき」 finds 「セキ」 and the other way round."""
    hira = "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)
    kata = "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)
    return {text, hira, kata}


def _squeezed(column):
    """The column without half- and full-width spaces, so 「関太郎」 finds 「関 太郎」."""
    return func.replace(func.replace(column, " ", ""), "\u3000", "")


def _text_match(q: str, *columns):
    """Plain LIKE on NFKC-normalised text (private fields are not in the search index)."""
    needle = re.sub(r"\s+", "", unicodedata.normalize("NFKC", q))
    if not needle:
        return None
    return or_(*(_squeezed(c).icontains(v, autoescape=True) for c in columns for v in _kana_variants(needle)))


def people_query(f: PeopleFilters, *, for_export: bool = False) -> Select:
    """Every volunteer profile of a live account matching the filters, in 50音順 (kana) order."""
    query = (
        select(VolunteerProfile).join(VolunteerProfile.user).where(User.deleted_at.is_(None))
        .options(contains_eager(VolunteerProfile.user), joinedload(VolunteerProfile.home_district),
                 selectinload(VolunteerProfile.skills), selectinload(VolunteerProfile.districts))
    )
    if for_export:
        query = query.options(selectinload(VolunteerProfile.fields), selectinload(VolunteerProfile.qualifications))
    if f.q and (match := _text_match(f.q, User.display_name, VolunteerProfile.real_name,
                                     VolunteerProfile.real_name_kana)) is not None:
        query = query.where(match)
    if f.district:
        query = query.where(or_(VolunteerProfile.home_district_id == f.district,
                                VolunteerProfile.districts.any(District.id == f.district)))
    if f.field:
        query = query.where(VolunteerProfile.fields.any(ActivityField.code == f.field))
    if f.stage:
        query = query.where(VolunteerProfile.stage == f.stage)
    today = today_jst()
    if f.expiry == "soon":
        query = query.where(VolunteerProfile.expires_on.between(today, today + timedelta(days=EXPIRING_DAYS)))
    elif f.expiry == "expired":
        query = query.where(VolunteerProfile.expires_on < today)
    return query.order_by(VolunteerProfile.real_name_kana, VolunteerProfile.user_id)


def groups_query(f: GroupFilters, *, for_export: bool = False) -> Select:
    """Every group whatever its status, matching the filters, in 50音順 (kana) order."""
    query = select(CivicGroup).options(selectinload(CivicGroup.districts), selectinload(CivicGroup.fields))
    if for_export:
        query = query.options(selectinload(CivicGroup.skills))
    if f.q and (match := _text_match(f.q, CivicGroup.name, CivicGroup.name_kana,
                                     CivicGroup.representative_name)) is not None:
        query = query.where(match)
    for column, value in ((CivicGroup.status, f.status), (CivicGroup.group_type, f.group_type),
                          (CivicGroup.stage, f.stage)):
        if value:
            query = query.where(column == value)
    if f.district:
        query = query.where(CivicGroup.districts.any(District.id == f.district))
    if f.field:
        query = query.where(CivicGroup.fields.any(ActivityField.code == f.field))
    return query.order_by(CivicGroup.name_kana, CivicGroup.name, CivicGroup.id)


def find_person(user_id: int) -> VolunteerProfile | None:
    return db.session.scalar(
        select(VolunteerProfile).join(VolunteerProfile.user)
        .where(VolunteerProfile.user_id == user_id, User.deleted_at.is_(None))
        .options(contains_eager(VolunteerProfile.user), joinedload(VolunteerProfile.home_district),
                 selectinload(VolunteerProfile.skills), selectinload(VolunteerProfile.districts),
                 selectinload(VolunteerProfile.fields), selectinload(VolunteerProfile.qualifications)))


def find_group(group_id: int) -> CivicGroup | None:
    return db.session.scalar(
        select(CivicGroup).where(CivicGroup.id == group_id)
        .options(selectinload(CivicGroup.districts), selectinload(CivicGroup.fields),
                 selectinload(CivicGroup.skills),
                 selectinload(CivicGroup.representatives).joinedload(GroupRepresentative.user)))


def subject_target(subject: Subject) -> str:
    """The audit-log target of a person or a group: ``volunteer:<user id>`` or ``group:<id>``."""
    if isinstance(subject, VolunteerProfile):
        return f"volunteer:{subject.user_id}"
    return f"group:{subject.id}"


def view_personal_data(actor, subject: Subject) -> None:
    """Every look at someone's private contact data by a coordinator is written to the audit log."""
    audit.record("personal_data_viewed", actor=actor, target=subject_target(subject))


# --- The desk --------------------------------------------------------------------------------------------------

def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def desk_counts() -> dict:
    """The numbers on the coordinator's desk (a handful of COUNT queries)."""
    today = today_jst()
    live = select(VolunteerProfile.user_id, VolunteerProfile.public_card, VolunteerProfile.expires_on,
                  VolunteerProfile.stage).join(VolunteerProfile.user).where(User.deleted_at.is_(None))
    people = live.subquery()
    row = db.session.execute(select(
        func.count(),
        func.count().filter(people.c.public_card.is_(True)),
        func.count().filter(people.c.expires_on.between(today, today + timedelta(days=EXPIRING_DAYS))),
        func.count().filter(people.c.expires_on < today),
    ).select_from(people)).one()
    groups = dict(db.session.execute(select(CivicGroup.status, func.count()).group_by(CivicGroup.status)).all())
    people_stages = dict(db.session.execute(select(people.c.stage, func.count()).group_by(people.c.stage)).all())
    group_stages = dict(db.session.execute(select(CivicGroup.stage, func.count()).group_by(CivicGroup.stage)).all())
    month = _count(select(Consultation.id).where(Consultation.held_on >= today.replace(day=1),
                                                 Consultation.held_on <= today))
    return {
        "volunteers": row[0], "public_cards": row[1], "expiring": row[2], "expired": row[3],
        "groups": {s: groups.get(s, 0) for s in GROUP_STATUS_LABELS}, "groups_total": sum(groups.values()),
        "people_stages": {s: people_stages.get(s, 0) for s in STAGE_ORDER},
        "group_stages": {s: group_stages.get(s, 0) for s in STAGE_ORDER},
        "consultations_this_month": month,
    }


def recent_consultations(limit: int = 10) -> list[dict]:
    """The latest consultation records across everyone, with whom they were about (for the desk)."""
    rows = db.session.execute(
        select(Consultation, User.display_name, CivicGroup.name)
        .outerjoin(User, Consultation.volunteer_user_id == User.id)
        .outerjoin(CivicGroup, Consultation.group_id == CivicGroup.id)
        .options(joinedload(Consultation.coordinator))
        .order_by(Consultation.held_on.desc(), Consultation.id.desc()).limit(limit))
    return [{"record": c, "person": person, "group": group} for c, person, group in rows]


# --- 相談記録 -----------------------------------------------------------------------------------------------------

def consultations_for(subject: Subject) -> list[Consultation]:
    """A person's or a group's consultation records, newest first."""
    if isinstance(subject, VolunteerProfile):
        where = Consultation.volunteer_user_id == subject.user_id
    else:
        where = Consultation.group_id == subject.id
    return list(db.session.scalars(
        select(Consultation).where(where).options(joinedload(Consultation.coordinator))
        .order_by(Consultation.held_on.desc(), Consultation.id.desc())))


def _check_record(held_on: date | None, topic: str) -> None:
    if held_on is None:
        raise FieldRefused("held_on", _("相談日を入力してください。"))
    if held_on > today_jst():
        raise FieldRefused("held_on", _("相談日に未来の日付は入力できません。"))
    if not (topic or "").strip():
        raise FieldRefused("topic", _("相談の内容を入力してください。"))


def add_consultation(actor, subject: Subject, *, held_on: date, topic: str, notes: str = "",
                     next_step: str = "") -> Consultation:
    """Add a consultation record; the author is ``actor``. Raises FieldRefused for a future date or no topic."""
    _check_record(held_on, topic)
    record = Consultation(held_on=held_on, topic=topic.strip(), notes=(notes or "").strip(),
                          next_step=(next_step or "").strip(), coordinator_id=actor.id)
    if isinstance(subject, VolunteerProfile):
        record.volunteer_user_id = subject.user_id
    else:
        record.group_id = subject.id
    db.session.add(record)
    db.session.flush()
    return record


def can_edit_consultation(user, record: Consultation) -> bool:
    """Its author may correct a record, and an administrator; other coordinators may only read it."""
    if user.has_role(Role.ADMIN):
        return True
    return record.coordinator_id is not None and record.coordinator_id == user.id


def edit_consultation(actor, record: Consultation, *, held_on: date, topic: str, notes: str = "",
                      next_step: str = "") -> Consultation:
    """Correct a record. Raises NotAllowed (not the author nor an admin) or FieldRefused."""
    if not can_edit_consultation(actor, record):
        raise NotAllowed()
    _check_record(held_on, topic)
    record.held_on, record.topic = held_on, topic.strip()
    record.notes, record.next_step = (notes or "").strip(), (next_step or "").strip()
    return record


def subject_of(record: Consultation) -> Subject | None:
    if record.volunteer_user_id is not None:
        return find_person(record.volunteer_user_id)
    return find_group(record.group_id) if record.group_id is not None else None


# --- ステップアップ段階 (IV-5-(1)) ------------------------------------------------------------------------------------

def change_stage(actor, subject: Subject, stage: str, note: str = "") -> Consultation:
    """Move a person or group to another step-up stage, forward or back (back needs a note).

    Every change is audited (``stage_changed``) and noted as a consultation record. Raises FieldRefused.
    """
    note = (note or "").strip()
    if stage not in STAGE_ORDER:
        raise FieldRefused("stage", _("段階を一覧から選んでください。"))
    old = subject.stage
    if stage == old:
        raise FieldRefused("stage", _("すでにこの段階です。変更する段階を選んでください。"))
    if old in STAGE_ORDER and STAGE_ORDER.index(stage) < STAGE_ORDER.index(old) and not note:
        raise FieldRefused("note", _("段階を戻すときは、理由をメモに書いてください。"))
    subject.stage = stage
    audit.record("stage_changed", actor=actor, target=subject_target(subject), old=old, new=stage)
    topic = _("段階の変更: %(old)s → %(new)s", old=stage_label(old), new=stage_label(stage))
    return add_consultation(actor, subject, held_on=today_jst(), topic=topic, notes=note)
