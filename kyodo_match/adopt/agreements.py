"""合意書 (the agreement) and its change records (変更届・休止届・再開届・廃止届), with the section status they imply.

Writing the agreement is the department's last step of an application both sides approved: the adoption becomes
合意 and the section 活動中. Each change is a record of its own; 休止届 pauses agreement and section, 再開届 brings
both back, 廃止届 ends the agreement and opens the section again (募集中). A change that does not fit the current
state (resuming what is not paused, anything after the end) is Conflict (409).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..errors import Conflict, FieldRefused, NotAllowed
from ..extensions import db
from ..models import AdoptAgreement, AdoptChange, Adoption, AgreementStatus, ChangeKind, SectionStatus
from ..notifications import centre_users, department_staff, notify_many, site_path
from . import adoption as adoptions

G = AgreementStatus
S = SectionStatus

AGREEMENT_LABELS = {G.ACTIVE.value: _l("有効"), G.PAUSED.value: _l("休止中"), G.ENDED.value: _l("終了")}
GROUP_DUTIES = _l("・合意した活動（清掃・草刈りなど）を計画どおりに行います。\n"
                  "・活動のたびに活動報告を提出します。\n"
                  "・活動中は安全に注意し、ボランティア保険に加入します。\n"
                  "・区間で破損や危険な箇所を見つけたときは、担当課に知らせます。")
CITY_DUTIES = _l("・ごみ袋・軍手などの用具を支給し、集めたごみを回収します。\n"
                 "・表示板を設置します。\n"
                 "・報告された破損や危険な箇所に対応します。\n"
                 "・活動に必要な情報を提供し、相談に応じます。")
CHANGE_DETAIL_FIELDS = {"representative": _l("代表者"), "group_name": _l("団体名")}


@dataclass(frozen=True)
class ChangeRule:
    label: object
    sources: frozenset[str]
    agreement_to: str | None  # None: the agreement's status stays
    section_to: str | None


CHANGES: dict[str, ChangeRule] = {
    ChangeKind.CHANGE.value: ChangeRule(_l("変更届"), frozenset({G.ACTIVE.value, G.PAUSED.value}), None, None),
    ChangeKind.PAUSE.value: ChangeRule(_l("休止届"), frozenset({G.ACTIVE.value}), G.PAUSED.value, S.PAUSED.value),
    ChangeKind.RESUME.value: ChangeRule(_l("再開届"), frozenset({G.PAUSED.value}), G.ACTIVE.value, S.ACTIVE.value),
    ChangeKind.END.value: ChangeRule(_l("廃止届"), frozenset({G.ACTIVE.value, G.PAUSED.value}), G.ENDED.value,
                                     S.OPEN.value),
}
CHANGE_LABELS = {k: r.label for k, r in CHANGES.items()}


def one_year_after(start: date) -> date:
    try:
        return start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def can_see_contact(user, agreement: AdoptAgreement) -> bool:
    """The contact person and phone (非公開): the group's representatives, the department and the centre."""
    return (adoptions.is_representative(user, agreement.group) or adoptions.is_department(user, agreement.section)
            or adoptions.is_centre(user))


def can_file_change(user, agreement: AdoptAgreement) -> bool:
    return adoptions.is_representative(user, agreement.group) or adoptions.is_department(user, agreement.section)


def allowed_changes(agreement: AdoptAgreement) -> list[str]:
    return [k for k, r in CHANGES.items() if agreement.status in r.sources]


def create_agreement(adoption: Adoption, actor, values: dict) -> AdoptAgreement:
    """The department writes the agreement of an application both sides approved: the adoption becomes 合意 and
    the section 活動中. Raises NotAllowed (403) for anyone but the section's department, Conflict (409) unless
    both approved (or when it already exists), FieldRefused (422) for an end earlier than a year after the start
    or a sign-board text the department has not approved. Tells the group and the centre. The caller commits."""
    if not adoptions.is_department(actor, adoption.section):
        raise NotAllowed()
    if not adoptions.can_write_agreement(actor, adoption):
        raise Conflict(_("合意書は、担当課とセンターの両方が承認した申請についてだけ作成できます。"))
    starts_on, ends_on = values["starts_on"], values["ends_on"]
    if ends_on < one_year_after(starts_on):
        raise FieldRefused("ends_on", _("活動は1年以上続けることが条件です。終了日は%(d)s以降にしてください。",
                                        d=one_year_after(starts_on).isoformat()))
    if values["sign_text"] and not values["sign_approved"]:
        raise FieldRefused("sign_approved", _("表示板の文言を確認し、承認のチェックを入れてください。"))
    section, group = adoption.section, adoption.group
    adoptions.move_to_agreed(adoption, actor)
    agreement = AdoptAgreement(adoption_id=adoption.id, section_id=section.id, group_id=group.id,
                               starts_on=starts_on, ends_on=ends_on, auto_renew=values["auto_renew"],
                               group_duties=values["group_duties"], city_duties=values["city_duties"],
                               sign_text=values["sign_text"], sign_approved=values["sign_approved"],
                               contact_name=values["contact_name"], contact_phone=values["contact_phone"],
                               status=G.ACTIVE.value)
    db.session.add(agreement)
    db.session.flush()
    adoptions.set_section_status(section, S.NEGOTIATING.value, S.ACTIVE.value)
    link = site_path("adopt.agreement", agreement_id=agreement.id)
    notify_many([r.user for r in group.representatives] + centre_users(), "adopt_agreement",
                _l("「%(section)s」の合意書ができました。%(start)s から活動が始まります。",
                   section=section.name, start=starts_on.isoformat()), link)
    return agreement


def file_change(agreement: AdoptAgreement, actor, kind: str, *, effective_on: date, reason: str,
                details: dict | None = None) -> AdoptChange:
    """Record a 変更届・休止届・再開届・廃止届 and apply the status it implies to the agreement and the section.

    Raises NotAllowed (403) for anyone but the group's representatives and the department, Conflict (409) for a
    kind that does not fit the agreement's status (or a status changed meanwhile), FieldRefused (422) for a 変更届
    without what changed. Tells the other side. The caller commits."""
    if not can_file_change(actor, agreement):
        raise NotAllowed()
    rule = CHANGES.get(kind)
    if rule is None:
        raise FieldRefused("kind", _("届の種類を選んでください。"))
    if agreement.status not in rule.sources:
        raise Conflict(_("「%(status)s」の合意書に%(kind)sは出せません。",
                         status=AGREEMENT_LABELS.get(agreement.status, agreement.status), kind=rule.label))
    details = details or {}
    if kind == ChangeKind.CHANGE.value and not details:
        raise FieldRefused("new_value", _("変更後の内容を入力してください。"))
    source = agreement.status
    if rule.agreement_to is not None:
        result = db.session.execute(
            update(AdoptAgreement).where(AdoptAgreement.id == agreement.id, AdoptAgreement.status == source)
            .values(status=rule.agreement_to).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            db.session.expire(agreement)
            raise Conflict(_("この合意書はほかの人の操作で状態が変わりました。画面を更新してください。"))
        db.session.expire(agreement, ["status"])
    if rule.section_to is not None:
        adoptions.set_section_status(agreement.section, {S.ACTIVE.value, S.PAUSED.value}, rule.section_to)
    change = AdoptChange(agreement_id=agreement.id, kind=kind, details=details, reason=reason.strip()[:2000],
                         effective_on=effective_on, filed_by_id=actor.id)
    db.session.add(change)
    db.session.flush()
    people = [r.user for r in agreement.group.representatives] + department_staff(agreement.section.department_id)
    notify_many([u for u in people if u.id != actor.id] + centre_users(), "adopt_agreement",
                _l("「%(section)s」の合意書に%(kind)sが出されました（%(date)s から）。",
                   section=agreement.section.name, kind=rule.label, date=effective_on.isoformat()),
                site_path("adopt.agreement", agreement_id=agreement.id))
    return change


def changes_of(agreement: AdoptAgreement) -> list[AdoptChange]:
    return list(db.session.scalars(select(AdoptChange).where(AdoptChange.agreement_id == agreement.id)
                                   .order_by(AdoptChange.created_at, AdoptChange.id)))


def agreement_of(adoption: Adoption) -> AdoptAgreement | None:
    return db.session.scalar(select(AdoptAgreement).where(AdoptAgreement.adoption_id == adoption.id))
