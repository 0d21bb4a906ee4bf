"""活動報告と修繕の依頼: a group's activity reports (with photos) and the repair requests its problems become.

Who: a representative of the agreement's group reports (while the agreement is active); the managing department
(担当課) and the centre (市民活動センター, coordinators and administrators) read every report and answer repairs.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import uploads
from ..access import is_centre
from ..errors import Conflict, FieldRefused, NotAllowed
from ..extensions import db
from ..groups.services import is_representative
from ..models import (
    ActivityReport,
    AdoptAgreement,
    AgreementStatus,
    CivicGroup,
    GroupRepresentative,
    RepairRequest,
    RepairStatus,
    ReportPhoto,
    Role,
    User,
)
from ..models.types import utcnow
from ..notifications import department_staff, notify_many

MAX_PHOTOS = 5
MAX_PROBLEMS = 3
MAX_TEXT = 2000
WORK_LABELS = {"cleaning": _l("清掃"), "mowing": _l("草刈り"), "flowerbed": _l("花壇の手入れ"),
               "planting": _l("植栽"), "patrol": _l("パトロール"), "other": _l("その他")}
PROBLEM_LABELS = {"damage": _l("破損"), "dumping": _l("不法投棄"), "hazard": _l("危険箇所")}
REPAIR_LABELS = {RepairStatus.RECEIVED.value: _l("受付"), RepairStatus.IN_PROGRESS.value: _l("対応中"),
                 RepairStatus.DONE.value: _l("対応済み"), RepairStatus.DECLINED.value: _l("対応しない")}
# 受付 → 対応中 → 対応済み / 対応しない (an answer is required for 対応しない)
REPAIR_TRANSITIONS = {
    RepairStatus.RECEIVED.value: (RepairStatus.IN_PROGRESS.value, RepairStatus.DONE.value,
                                  RepairStatus.DECLINED.value),
    RepairStatus.IN_PROGRESS.value: (RepairStatus.DONE.value, RepairStatus.DECLINED.value),
}


# --- who may do what ------------------------------------------------------------------------------------------


def is_department(user, department_id: int | None) -> bool:
    """Staff of the managing department (担当課)."""
    return bool(getattr(user, "is_authenticated", False) and user.has_role(Role.STAFF)
                and department_id is not None and user.department_id == department_id)


def is_group_rep(user, agreement: AdoptAgreement) -> bool:
    return is_representative(user, agreement.group)


def can_report(user, agreement: AdoptAgreement) -> bool:
    """A representative of the group that holds the agreement (里親)."""
    return is_group_rep(user, agreement)


def can_view_reports(user, agreement: AdoptAgreement) -> bool:
    """The group's representatives, the managing department and the centre."""
    return (is_group_rep(user, agreement) or is_department(user, agreement.section.department_id)
            or is_centre(user))


def can_view_photo(user, photo: ReportPhoto) -> bool:
    """Photos the group made public: anyone. The others: whoever may read the report."""
    return photo.public or can_view_reports(user, photo.report.agreement)


def can_answer_repair(user, repair: RepairRequest) -> bool:
    return is_department(user, repair.section.department_id) or is_centre(user)


def group_reps(group_id: int | None) -> list[User]:
    if group_id is None:
        return []
    return list(db.session.scalars(select(User).join(GroupRepresentative, GroupRepresentative.user_id == User.id)
                                   .where(GroupRepresentative.group_id == group_id)))


# --- loading --------------------------------------------------------------------------------------------------

def load_agreement(agreement_id: int) -> AdoptAgreement | None:
    return db.session.scalar(select(AdoptAgreement).where(AdoptAgreement.id == agreement_id).options(
        selectinload(AdoptAgreement.section), selectinload(AdoptAgreement.group)
        .selectinload(CivicGroup.representatives)))


def load_photo(photo_id: int) -> ReportPhoto | None:
    return db.session.scalar(select(ReportPhoto).where(ReportPhoto.id == photo_id).options(
        selectinload(ReportPhoto.report).selectinload(ActivityReport.agreement)
        .selectinload(AdoptAgreement.section)))


def report_dir(root: Path, report_id: int) -> Path:
    """``<uploads>/adopt/<report id>/``."""
    return Path(root) / "adopt" / str(int(report_id))


def photo_path(root: Path, photo: ReportPhoto) -> Path:
    return uploads.path_in(report_dir(root, photo.report_id), photo.stored_name)


def discard_report_files(root: Path, report_id: int | None) -> None:
    """Remove the photos stored for a report whose transaction did not commit."""
    if report_id is not None:
        shutil.rmtree(report_dir(root, report_id), ignore_errors=True)


# --- filing a report ------------------------------------------------------------------------------------------

@dataclass
class PhotoUpload:
    field: str  # the form field, for a refusal beside it
    stream: object
    public: bool = False


@dataclass
class ReportInput:
    activity_date: date
    participants: int
    minutes: int
    work: list[str]
    bags: int = 0
    kg_tenths: int = 0
    note: str = ""
    photos: list[PhotoUpload] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, description)


def file_report(agreement: AdoptAgreement, actor, data: ReportInput, *, root: Path, today: date | None = None,
                link: str | None = None) -> ActivityReport:
    """活動報告: a day's work on the agreement's section; photos are checked (JPEG/PNG by content, ≤ 5 MB),
    re-encoded without metadata and stored under ``<root>/adopt/<report id>/``; each problem found becomes a
    repair request for the managing department, whose staff are told.

    Every photo is checked before anything is stored, so a refusal leaves nothing behind (the caller rolls back).
    Raises NotAllowed (403) for anyone but the group's representatives, Conflict (409) unless the agreement is
    active, FieldRefused (422) for a date in the future, odd amounts or a refused photo.
    """
    if not can_report(actor, agreement):
        raise NotAllowed()
    if agreement.status != AgreementStatus.ACTIVE.value:
        raise Conflict(_("活動報告は、有効な合意書の区間についてだけ出せます。"))
    if data.activity_date > (today or date.today()):
        raise FieldRefused("activity_date", _("活動日に未来の日付は入力できません。"))
    if data.participants < 1:
        raise FieldRefused("participants", _("参加人数は1人以上にしてください。"))
    if not 0 <= data.minutes <= 24 * 60:
        raise FieldRefused("hours", _("活動時間は0〜24時間で入力してください。"))
    if any(w not in WORK_LABELS for w in data.work):
        raise FieldRefused("work", _("選択肢にない値が送られました。画面を読み込み直してください。"))
    if len(data.photos) > MAX_PHOTOS:
        raise FieldRefused(data.photos[MAX_PHOTOS].field, _("写真は5枚までです。"))
    refusal = _("JPEGかPNGの画像だけを登録できます。")
    checked = [(p, *uploads.checked(p.stream, p.field, uploads.IMAGES, refusal=refusal)) for p in data.photos]

    report = ActivityReport(agreement_id=agreement.id, section_id=agreement.section_id,
                            activity_date=data.activity_date, participants=data.participants, minutes=data.minutes,
                            work=list(dict.fromkeys(data.work)), bags=data.bags, kg_tenths=data.kg_tenths,
                            note=(data.note or "").strip()[:MAX_TEXT], reported_by_id=actor.id)
    db.session.add(report)
    db.session.flush()  # the id names the photo folder
    folder = report_dir(root, report.id)
    try:
        for upload, content, content_type in checked:
            name = uploads.store(folder, content)
            report.photos.append(ReportPhoto(stored_name=name, content_type=content_type, size=len(content),
                                             public=bool(upload.public)))
        repairs = [RepairRequest(section_id=agreement.section_id, report_id=report.id,
                                 group_id=agreement.group_id, kind=kind, description=text.strip()[:MAX_TEXT])
                   for kind, text in data.problems if kind in PROBLEM_LABELS]
        db.session.add_all(repairs)
        db.session.flush()
    except Exception:
        discard_report_files(root, report.id)
        raise
    if repairs:
        section = agreement.section
        notify_many(department_staff(section.department_id), "adopt_repair_requested",
                    _l("「%(section)s」で修繕などの依頼が%(n)d件届きました。", section=section.name, n=len(repairs)),
                    link)
    return report


# --- reading --------------------------------------------------------------------------------------------------

@dataclass
class Totals:
    reports: int
    people: int
    minutes: int
    bags: int
    kg_tenths: int


def reports_of(agreement: AdoptAgreement) -> list[ActivityReport]:
    return list(db.session.scalars(select(ActivityReport).where(ActivityReport.agreement_id == agreement.id)
                                   .options(selectinload(ActivityReport.photos))
                                   .order_by(ActivityReport.activity_date.desc(), ActivityReport.id.desc())))


def totals(agreement: AdoptAgreement) -> Totals:
    """Sums over every report of the agreement (延べ人数, minutes, bags, tenths of a kg)."""
    row = db.session.execute(select(
        func.count(ActivityReport.id), func.coalesce(func.sum(ActivityReport.participants), 0),
        func.coalesce(func.sum(ActivityReport.minutes), 0), func.coalesce(func.sum(ActivityReport.bags), 0),
        func.coalesce(func.sum(ActivityReport.kg_tenths), 0)).where(ActivityReport.agreement_id == agreement.id)).one()
    return Totals(*(int(v) for v in row))


def repairs_of(agreement: AdoptAgreement) -> list[RepairRequest]:
    """The repair requests from the agreement's reports, for the group to follow."""
    return list(db.session.scalars(
        select(RepairRequest).join(ActivityReport, ActivityReport.id == RepairRequest.report_id)
        .where(ActivityReport.agreement_id == agreement.id).order_by(RepairRequest.created_at.desc())))


def repair_queue(user, status: str | None = None) -> list[RepairRequest]:
    """Repair requests the user answers: their department's sections (staff), every section (centre).
    Open ones first, oldest first."""
    from ..models import AdoptSection

    query = select(RepairRequest).join(AdoptSection, AdoptSection.id == RepairRequest.section_id).options(
        selectinload(RepairRequest.section))
    if not is_centre(user):
        query = query.where(AdoptSection.department_id == user.department_id)
    if status in REPAIR_LABELS:
        query = query.where(RepairRequest.status == status)
    done = RepairRequest.status.in_((RepairStatus.DONE.value, RepairStatus.DECLINED.value))
    return list(db.session.scalars(query.order_by(done, RepairRequest.created_at, RepairRequest.id)))


def load_repair(repair_id: int) -> RepairRequest | None:
    return db.session.scalar(select(RepairRequest).where(RepairRequest.id == repair_id)
                             .options(selectinload(RepairRequest.section)))


def next_statuses(repair: RepairRequest) -> tuple[str, ...]:
    return REPAIR_TRANSITIONS.get(repair.status, ())


def move_repair(repair: RepairRequest, target: str, actor, *, answer: str = "", link: str | None = None) -> None:
    """受付 → 対応中 → 対応済み / 対応しない; 対応しない needs an answer (why). The group's representatives are told.

    Raises NotAllowed (403) for anyone but the department and the centre, Conflict (409) for a move the table does
    not allow, FieldRefused (422, ``answer``) for 対応しない without an answer.
    """
    if not can_answer_repair(actor, repair):
        raise NotAllowed()
    if target not in next_statuses(repair):
        raise Conflict(_("この依頼は現在の状態からその状態には変更できません。画面を更新してください。"))
    answer = (answer or "").strip()[:MAX_TEXT]
    if target == RepairStatus.DECLINED.value and not answer:
        raise FieldRefused("answer", _("「対応しない」にするときは、理由を回答に書いてください。"))
    repair.status = target
    if answer:
        repair.answer = answer
    repair.answered_at = utcnow()
    label = REPAIR_LABELS[target]
    notify_many(group_reps(repair.group_id), "adopt_repair_status",
                _l("「%(section)s」の修繕などの依頼が「%(status)s」になりました。", section=repair.section.name,
                   status=label), link)
