"""Individual volunteers (個人ボランティア) and the public talent bank (人材バンク).

Who sees what: the public card (display name, skills, districts, fields) only when the volunteer chose it;
everything else only the owner and coordinators; contact data also the other side of an approved match.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import search
from ..errors import FieldRefused, NotAllowed, RuleViolation
from ..extensions import db
from ..i18n import JST, today_jst
from ..models import (
    SLOTS,
    TRAVEL_MODES,
    ActivityField,
    ConsentRecord,
    District,
    Qualification,
    Role,
    Skill,
    User,
    VolunteerProfile,
    utcnow,
)
from ..pagination import page_count
from ..search.analysis import fold

REGISTRATION_YEARS = 3
RENEWAL_WINDOW_DAYS = 90  # renewal is possible from 90 days before expiry (and after it)
REMINDER_DAYS = 60  # the banner on my pages appears 60 days before expiry
MAX_FREE_TAGS = 10
FREE_TAG_MAX_CHARS = 20
MAX_QUALIFICATIONS = 10
SUGGEST_LIMIT = 10
SUGGEST_MAX_CHARS = 40
COORDINATING_ROLES = (Role.COORDINATOR, Role.ADMIN)

_PROFILE_OPTIONS = (
    selectinload(VolunteerProfile.skills), selectinload(VolunteerProfile.fields),
    selectinload(VolunteerProfile.districts), joinedload(VolunteerProfile.user),
)


# --- who may see what --------------------------------------------------------------------------------------------


def is_volunteer(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(Role.VOLUNTEER)


def can_view_private(viewer, profile: VolunteerProfile) -> bool:
    """The whole profile: its owner, coordinators and administrators."""
    if not getattr(viewer, "is_authenticated", False):
        return False
    return viewer.id == profile.user_id or viewer.has_role(*COORDINATING_ROLES)


def has_approved_match(viewer, volunteer_user_id: int) -> bool:
    """Whether ``viewer`` (a department or group) is the other side of an approved match with this volunteer.

    True for those who manage a project in which this volunteer's participation is confirmed (確定 or later).
    """
    from ..applications.flow import MATCHED
    from ..models import Application, Project
    from ..projects.lifecycle import can_manage

    projects = db.session.scalars(select(Project).join(Application, Application.project_id == Project.id).where(
        Application.volunteer_user_id == volunteer_user_id, Application.status.in_(MATCHED))).all()
    return any(can_manage(viewer, p) for p in projects)


def can_view_contact(viewer, profile: VolunteerProfile) -> bool:
    """E-mail, phone, postal code: the owner, coordinators, administrators, and an approved match partner."""
    if can_view_private(viewer, profile):
        return True
    return bool(getattr(viewer, "is_authenticated", False)) and has_approved_match(viewer, profile.user_id)


def is_listed(profile: VolunteerProfile, today: date) -> bool:
    """The card is in the talent bank: chosen public, account active, registration not expired."""
    return bool(profile.public_card and profile.user is not None and profile.user.is_active
                and profile.expires_on is not None and profile.expires_on >= today)


def public_card(profile: VolunteerProfile) -> dict:
    """ONLY what anyone may see: never the real name, contact data, bio or availability."""
    return {
        "user_id": profile.user_id,
        "display_name": profile.user.display_name,
        "skills": [s.name for s in profile.skills],
        "free_tags": list(profile.free_tags or []),
        "districts": [d.name for d in profile.districts],
        "fields": [f.label for f in profile.fields],
    }


# --- registration period (3 years) -------------------------------------------------------------------------------


def years_later(day: date, years: int = REGISTRATION_YEARS) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def days_left(profile: VolunteerProfile, today: date) -> int:
    return (profile.expires_on - today).days


def needs_renewal(profile: VolunteerProfile | None, today: date) -> bool:
    """Show the renewal banner: a saved profile with 60 days or fewer left (or already expired)."""
    return bool(profile is not None and profile.expires_on is not None
                and days_left(profile, today) <= REMINDER_DAYS)


def can_renew(profile: VolunteerProfile | None, today: date) -> bool:
    return bool(profile is not None and profile.expires_on is not None
                and days_left(profile, today) <= RENEWAL_WINDOW_DAYS)


def renew_registration(user: User, today: date | None = None) -> VolunteerProfile:
    """Extend my registration to 3 years from today. Allowed from 90 days before expiry; RuleViolation before."""
    today = today or today_jst()
    profile = db.session.get(VolunteerProfile, user.id)
    if profile is None:
        raise RuleViolation(_("まだボランティア登録がありません。先に登録内容を保存してください。"))
    if not can_renew(profile, today):
        raise RuleViolation(_("更新の手続きは、有効期限の90日前からできます。"))
    profile.expires_on = years_later(today)
    profile.renewal_reminded_at = None
    profile.updated_at = utcnow()
    search.enqueue("volunteer", user.id)
    return profile


# --- my profile --------------------------------------------------------------------------------------------------


def load_profile(user_id: int) -> VolunteerProfile | None:
    """A profile with everything its pages show (constant number of queries)."""
    return db.session.scalar(
        select(VolunteerProfile).where(VolunteerProfile.user_id == user_id)
        .options(*_PROFILE_OPTIONS, selectinload(VolunteerProfile.qualifications),
                 joinedload(VolunteerProfile.home_district))
    )


def get_or_create_profile(user: User) -> VolunteerProfile:
    """My profile, or a new unsaved one (added to the session only by :func:`save_profile`).

    Raises NotAllowed for users without the volunteer role.
    """
    if not is_volunteer(user):
        raise NotAllowed()
    profile = load_profile(user.id)
    if profile is None:
        profile = VolunteerProfile(user_id=user.id, real_name="", real_name_kana="", free_tags=[], availability=[],
                                   travel_modes=[], availability_note="", bio="", public_card=False,
                                   has_insurance=False, is_minor=False)
        profile.skills, profile.districts, profile.fields, profile.qualifications = [], [], [], []
    return profile


def has_current_consent(user: User, notice_version: str) -> bool:
    return db.session.scalar(
        select(ConsentRecord.id).where(ConsentRecord.user_id == user.id,
                                       ConsentRecord.notice_version == notice_version).limit(1)
    ) is not None


def _by_ids(model, key, ids, keep=()) -> list:
    """Rows for these ids that are active, or that the profile already had (a retired skill stays until removed)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    rows = db.session.scalars(select(model).where(key.in_(ids)))
    kept = {getattr(r, key.key) for r in keep}
    return [r for r in rows if getattr(r, "active", True) or getattr(r, key.key) in kept]


def save_profile(user: User, data: dict, *, notice_version: str | None = None,
                 now: datetime | None = None) -> VolunteerProfile:
    """Save my profile from cleaned form data; the search index learns of it in the same transaction.

    The first save starts the 3-year registration. Consent to the current personal-information notice is
    required (recorded with its version and time); a minor also needs a guardian's name and consent.
    Raises NotAllowed (not a volunteer) and FieldRefused (the field at fault).
    """
    now = now or utcnow()
    notice_version = notice_version or current_app.config["KYODO_PRIVACY_NOTICE_VERSION"]
    profile = get_or_create_profile(user)
    consented = has_current_consent(user, notice_version)
    if not consented and not data.get("consent"):
        raise FieldRefused("consent", _("登録には個人情報の取扱いへの同意が必要です。"))
    guardian = (data.get("guardian_name") or "").strip()
    if data.get("is_minor") and not guardian:
        raise FieldRefused("guardian_name", _("18歳未満の方は、保護者の氏名を入力してください。"))
    if data.get("is_minor") and not data.get("guardian_consent"):
        raise FieldRefused("guardian_consent", _("18歳未満の方は、保護者の同意が必要です。"))
    if data.get("has_insurance") and not data.get("insurance_fiscal_year"):
        raise FieldRefused("insurance_fiscal_year", _("加入しているボランティア保険の年度を入力してください。"))

    if not consented:
        user.consents.append(ConsentRecord(notice_version=notice_version, accepted_at=now))
    if data.get("is_minor"):
        if profile.guardian_consent_at is None or profile.guardian_name != guardian:
            profile.guardian_consent_at = now
        profile.is_minor, profile.guardian_name = True, guardian
    else:
        profile.is_minor, profile.guardian_name, profile.guardian_consent_at = False, None, None
    user.display_name = data["display_name"]
    for name in ("real_name", "real_name_kana", "availability_note", "bio"):
        setattr(profile, name, data.get(name) or "")
    for name in ("contact_email", "phone", "postal_code"):
        setattr(profile, name, data.get(name) or None)
    profile.home_district_id = data.get("home_district_id") or None
    profile.free_tags = list(data.get("free_tags") or [])
    profile.availability = [s for s in SLOTS if s in set(data.get("availability") or ())]
    profile.travel_modes = [m for m in TRAVEL_MODES if m in set(data.get("travel_modes") or ())]
    profile.has_insurance = bool(data.get("has_insurance"))
    profile.insurance_fiscal_year = data.get("insurance_fiscal_year") if profile.has_insurance else None
    profile.public_card = bool(data.get("public_card"))
    profile.skills = _by_ids(Skill, Skill.id, data.get("skill_ids") or (), keep=profile.skills)
    profile.districts = _by_ids(District, District.id, data.get("district_ids") or (), keep=profile.districts)
    profile.fields = _by_ids(ActivityField, ActivityField.code, data.get("field_codes") or ())
    wanted = [(q["name"], q.get("year")) for q in data.get("qualifications") or () if q.get("name")]
    if [(q.name, q.year) for q in profile.qualifications] != wanted[:MAX_QUALIFICATIONS]:
        profile.qualifications = [Qualification(name=n, year=y) for n, y in wanted[:MAX_QUALIFICATIONS]]
    profile.updated_at = now
    if profile.expires_on is None:
        profile.registered_at = now
        profile.expires_on = years_later(now.astimezone(JST).date())
        db.session.add(profile)
    db.session.flush()
    search.enqueue("volunteer", user.id)
    return profile


# --- input helpers shared by the form and the service ------------------------------------------------------------


def parse_free_tags(raw: str | None) -> list[str]:
    """「草木染め、写真」 or "a, b": NFKC, split on commas and 、, blanks and duplicates dropped.

    Raises ValueError (Japanese) for more than 10 tags or a tag longer than 20 characters.
    """
    text = unicodedata.normalize("NFKC", raw or "")
    for sep in ("、", "，", "､"):
        text = text.replace(sep, ",")
    tags = list(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    if len(tags) > MAX_FREE_TAGS:
        raise ValueError(_("自由なキーワードは%(n)d個までです。", n=MAX_FREE_TAGS))
    if any(len(t) > FREE_TAG_MAX_CHARS for t in tags):
        raise ValueError(_("キーワードは1つ%(n)d文字以内で入力してください。", n=FREE_TAG_MAX_CHARS))
    return tags


def suggest_skills(query: str | None, limit: int = SUGGEST_LIMIT) -> list[Skill]:
    """Vocabulary skills matching what was typed, kana/kanji and width folded: くさかり, 草刈, ｸｻｶﾘ → 草刈り.

    Names and hiragana readings are compared after :func:`fold`; names starting with the input come first.
    """
    q = fold((query or "")[:SUGGEST_MAX_CHARS]).strip()
    if not q:
        return []
    skills = db.session.scalars(select(Skill).where(Skill.active).order_by(Skill.category_id, Skill.position))
    ranked = []
    for skill in skills:
        name, reading = fold(skill.name), fold(skill.reading)
        if name.startswith(q) or reading.startswith(q):
            ranked.append((0, skill))
        elif q in name or q in reading:
            ranked.append((1, skill))
    return [s for _rank, s in sorted(ranked, key=lambda pair: pair[0])][:limit]


def active_skill(skill_id: int) -> Skill | None:
    return db.session.scalar(select(Skill).where(Skill.id == skill_id, Skill.active))


def skills_by_ids(ids) -> list[Skill]:
    ids = list(dict.fromkeys(ids))[:200]
    if not ids:
        return []
    found = {s.id: s for s in db.session.scalars(select(Skill).where(Skill.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def all_active_skills() -> list[Skill]:
    return list(db.session.scalars(select(Skill).where(Skill.active).order_by(Skill.category_id, Skill.position)))


def activity_fields() -> list[ActivityField]:
    return list(db.session.scalars(select(ActivityField).order_by(ActivityField.code)))


# --- the talent bank ----------------------------------------------------------------------------------------------


def _listed_query(today: date):
    return (
        select(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id)
        .where(VolunteerProfile.public_card.is_(True), User.active.is_(True), User.deleted_at.is_(None),
               VolunteerProfile.expires_on >= today)
        .options(*_PROFILE_OPTIONS)
    )


def talent_bank(q: str = "", districts=(), fields=(), page: int = 1, per_page: int = 20,
                today: date | None = None) -> tuple[list[dict], int, int]:
    """Public cards for one page, and (page count, total).

    With a query or a facet the index chooses and orders the candidates (search.candidate_ids); the
    database then checks again which may be shown (public, active, not expired: the index cannot know that a
    registration expired today), and the page is cut from what remains, so counts and pages are exact.
    Without a query or facet, the most recently updated cards come first.
    """
    today = today or today_jst()
    if q.strip() or districts or fields:
        found = search.candidate_ids("volunteer", q, districts=districts, fields=fields)
        listed = set(db.session.scalars(
            _listed_query(today).with_only_columns(VolunteerProfile.user_id)
            .where(VolunteerProfile.user_id.in_(found))))
        ids = [i for i in found if i in listed]
        page_ids = ids[(page - 1) * per_page:page * per_page]
        rows = db.session.scalars(_listed_query(today).where(VolunteerProfile.user_id.in_(page_ids))).unique()
        by_id = {p.user_id: p for p in rows}
        cards = [public_card(by_id[i]) for i in page_ids if i in by_id]
        return cards, page_count(len(ids), per_page), len(ids)
    pagination = db.paginate(
        _listed_query(today).order_by(VolunteerProfile.updated_at.desc(), VolunteerProfile.user_id.desc()),
        page=page, per_page=per_page, error_out=False,
    )
    return [public_card(p) for p in pagination.items], max(1, pagination.pages), pagination.total or 0


# --- my data: export and erasure (used by account.services) -------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def export_profile(user: User) -> dict | None:
    """Every field of my volunteer profile, for my own data download (None when I have none)."""
    p = load_profile(user.id)
    if p is None:
        return None
    return {
        "real_name": p.real_name, "real_name_kana": p.real_name_kana, "contact_email": p.contact_email,
        "phone": p.phone, "postal_code": p.postal_code, "is_minor": p.is_minor, "guardian_name": p.guardian_name,
        "guardian_consent_at": _iso(p.guardian_consent_at),
        "home_district": p.home_district.name if p.home_district else None,
        "districts": [d.name for d in p.districts], "skills": [s.name for s in p.skills],
        "free_tags": list(p.free_tags or []), "fields": [f.label for f in p.fields],
        "qualifications": [{"name": q.name, "year": q.year} for q in p.qualifications],
        "availability": list(p.availability or []), "availability_note": p.availability_note,
        "travel_modes": list(p.travel_modes or []), "has_insurance": p.has_insurance,
        "insurance_fiscal_year": p.insurance_fiscal_year, "bio": p.bio, "public_card": p.public_card,
        "registered_at": _iso(p.registered_at), "expires_on": _iso(p.expires_on),
        "updated_at": _iso(p.updated_at),
    }


def erase_profile(user: User) -> bool:
    """Delete my volunteer profile (qualifications, skills, districts, fields go with it) and drop its card
    from the search index. Returns whether there was one."""
    profile = db.session.get(VolunteerProfile, user.id)
    if profile is None:
        return False
    db.session.delete(profile)
    db.session.flush()
    search.enqueue("volunteer", user.id)
    return True
