"""load-json: volunteers, groups and issues in the format of matcher-dev.json, all or nothing.

Each record's ``key`` is kept as ``external_key``; loading the same file again updates those records instead of
adding new ones. Every record is checked before anything is written: one bad record refuses the whole file, and
the refusal names each bad record's key and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from .. import audit, search
from ..auth.services import normalise_email
from ..extensions import db
from ..models import (
    SLOTS,
    ActivityField,
    CivicGroup,
    Department,
    District,
    GroupStatus,
    GroupType,
    Project,
    ProjectKind,
    ProjectStatus,
    ProjectTransition,
    Qualification,
    Role,
    Skill,
    User,
    UserRole,
    VolunteerProfile,
    utcnow,
)
from ..search.analysis import fold

GROUP_TYPES = {fold(k): v for k, v in {
    "NPO法人": GroupType.NPO, "NPO": GroupType.NPO, "自治会": GroupType.NEIGHBOURHOOD,
    "町内会": GroupType.NEIGHBOURHOOD,
    "ボランティア団体": GroupType.VOLUNTEER, "PTA": GroupType.PTA, "老人クラブ": GroupType.SENIOR_CLUB,
    "企業": GroupType.COMPANY, "大学": GroupType.UNIVERSITY, "地域委員会": GroupType.REGIONAL_COMMITTEE,
    "その他": GroupType.OTHER}.items()}
GROUP_STATUSES = {"確認済": GroupStatus.VERIFIED, "申請中": GroupStatus.PENDING, "休止": GroupStatus.PAUSED,
                  "停止": GroupStatus.STOPPED}
ISSUE_STATUSES = {"検討": ProjectStatus.DRAFT, "検討中": ProjectStatus.DRAFT, "公募中": ProjectStatus.RECRUITING,
                  "選定": ProjectStatus.SELECTING, "協定": ProjectStatus.AGREEMENT, "実施中": ProjectStatus.RUNNING,
                  "評価": ProjectStatus.EVALUATING, "完了": ProjectStatus.CLOSED, "中止": ProjectStatus.CANCELLED}
FREE_SKILLS_LABEL = "得意なこと："  # a group's skill names the vocabulary does not know, kept in its description
WANTED_SKILLS_LABEL = "求めるスキル："  # an issue's, kept in the partner's role
MAX_RECORDS = 100_000


class LoadError(Exception):
    """The file was refused; ``problems`` lists "key: reason" for every bad record. Nothing was written."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} 件の問題があるため、何も書き込みませんでした。")
        self.problems = problems


@dataclass
class _Reference:
    districts: dict[str, District]
    departments: dict[str, Department]
    fields: dict[int, ActivityField]
    skills: dict[str, Skill]  # folded name and folded reading → skill

    @classmethod
    def load(cls) -> _Reference:
        skills: dict[str, Skill] = {}
        for s in db.session.scalars(select(Skill).order_by(Skill.id)):
            skills.setdefault(fold(s.name), s)
            if s.reading:
                skills.setdefault(fold(s.reading), s)
        return cls(
            districts={d.name: d for d in db.session.scalars(select(District))},
            departments={d.name: d for d in db.session.scalars(select(Department))},
            fields={f.code: f for f in db.session.scalars(select(ActivityField))},
            skills=skills,
        )


@dataclass
class _Checker:
    ref: _Reference
    problems: list[str] = field(default_factory=list)
    key: str = ""

    def fail(self, reason: str) -> None:
        self.problems.append(f"{self.key or '（キーなし）'}: {reason}")

    def text(self, rec: dict, name: str, *, required: bool = False, limit: int = 10_000) -> str:
        value = rec.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(f"{name} は文字列で指定してください")
            return ""
        value = value.replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
        if required and not value:
            self.fail(f"{name} がありません")
        if len(value) > limit:
            self.fail(f"{name} が長すぎます（{limit} 文字まで）")
        return value

    def strings(self, rec: dict, name: str) -> list[str]:
        value = rec.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{name} は文字列の配列で指定してください")
            return []
        return [v.replace("\x00", "").strip() for v in value if v.replace("\x00", "").strip()]

    def districts(self, names: list[str], name: str) -> list[District]:
        unknown = [n for n in names if n not in self.ref.districts]
        if unknown:
            self.fail(f"{name} に不明な地域委員会があります: {'、'.join(unknown)}")
        return [self.ref.districts[n] for n in dict.fromkeys(names) if n in self.ref.districts]

    def fields(self, rec: dict, name: str) -> list[ActivityField]:
        value = rec.get(name) or []
        codes = value if isinstance(value, list) else [value]
        if not all(isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= 20 for c in codes):
            self.fail(f"{name} は 1〜20 の分野コードで指定してください")
            return []
        unknown = [c for c in codes if c not in self.ref.fields]
        if unknown:
            self.fail(f"{name} に未登録の分野コードがあります: {unknown}")
        return [self.ref.fields[c] for c in dict.fromkeys(codes) if c in self.ref.fields]

    def slots(self, rec: dict, name: str) -> list[str]:
        values = self.strings(rec, name)
        if bad := [v for v in values if v not in SLOTS]:
            self.fail(f"{name} に不明な時間帯があります: {'、'.join(bad)}（例: wed_am）")
        return [s for s in SLOTS if s in set(values)]

    def skills(self, names: list[str]) -> tuple[list[Skill], list[str]]:
        """Known skills (by folded name or reading), and the other names kept as free text."""
        known, free = [], []
        for n in dict.fromkeys(names):
            skill = self.ref.skills.get(fold(n))
            if skill is not None and skill not in known:
                known.append(skill)
            elif skill is None:
                free.append(n)
        return known, free


def _with_line(text: str, label: str, values: list[str]) -> str:
    return f"{text}\n{label}{'、'.join(values)}" if values else text


def load_records(data: dict, *, actor=None, today: date | None = None) -> dict[str, dict[str, int]]:
    """Check every record, then add or update them in the session (the caller commits once).

    Returns {"volunteers": {"added": n, "updated": n}, …}. Raises LoadError (nothing added) on any bad record.
    """
    if not isinstance(data, dict):
        raise LoadError(["（ファイル）: JSON のオブジェクト（volunteers, groups, issues）が必要です"])
    today = today or date.today()
    ref = _Reference.load()
    check = _Checker(ref)
    sections = {}
    for name in ("volunteers", "groups", "issues"):
        records = data.get(name) or []
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            check.problems.append(f"（{name}）: レコードの配列で指定してください")
            records = []
        sections[name] = records
    if sum(len(r) for r in sections.values()) > MAX_RECORDS:
        raise LoadError([f"（ファイル）: レコードが多すぎます（{MAX_RECORDS} 件まで）"])
    seen: set[str] = set()
    plans = []
    for name, records in sections.items():
        for rec in records:
            key = rec.get("key")
            check.key = key if isinstance(key, str) else ""
            if not isinstance(key, str) or not key.strip() or len(key) > 40:
                check.fail("key がないか、40 文字を超えています")
                continue
            if key in seen:
                check.fail("同じ key が二度あります")
                continue
            seen.add(key)
            before = len(check.problems)
            plan = {"volunteers": _check_volunteer, "groups": _check_group, "issues": _check_issue}[name](check, rec)
            if len(check.problems) == before:
                plans.append((name, key, plan))
    emails = [p["email"] for n, _k, p in plans if n == "volunteers"]
    for email in {e for e in emails if emails.count(e) > 1}:
        check.problems.append(f"（volunteers）: 同じメールアドレスが複数のレコードにあります: {email}")
    _check_email_owners(check, [(k, p) for n, k, p in plans if n == "volunteers"])
    if check.problems:
        raise LoadError(check.problems)
    counts = {name: {"added": 0, "updated": 0} for name in sections}
    counts["departments"] = {"added": 0, "updated": 0}
    for name in dict.fromkeys(p["department"] for n, _k, p in plans if n == "issues"):
        if name not in ref.departments:
            ref.departments[name] = Department(name=name, position=len(ref.departments) + 1)
            db.session.add(ref.departments[name])
            counts["departments"]["added"] += 1
    db.session.flush()
    for name, key, plan in plans:
        if name == "issues":
            plan["department"] = ref.departments[plan["department"]]
        added = {"volunteers": _save_volunteer, "groups": _save_group, "issues": _save_issue}[name](key, plan, today)
        counts[name]["added" if added else "updated"] += 1
    audit.record("records_loaded", actor=actor, target="load-json",
                 **{f"{n}_{k}": v for n, c in counts.items() for k, v in c.items()})
    return counts


def _check_email_owners(check: _Checker, volunteers: list[tuple[str, dict]]) -> None:
    """An e-mail may already belong to the same record's user, never to somebody else."""
    if not volunteers:
        return
    by_email = {p["email"]: k for k, p in volunteers}
    rows = db.session.execute(
        select(func.lower(User.email), VolunteerProfile.external_key)
        .outerjoin(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .where(func.lower(User.email).in_(list(by_email)))).all()
    for email, owner_key in rows:
        if owner_key != by_email[email]:
            check.problems.append(f"{by_email[email]}: メールアドレス {email} は別の利用者が使っています")


def _check_volunteer(check: _Checker, rec: dict) -> dict:
    if rec.get("kind", "individual") != "individual":
        check.fail("volunteers の kind は individual です")
    plan = {
        "name": check.text(rec, "name", required=True, limit=60),
        "email": normalise_email(check.text(rec, "email", required=True, limit=254)),
        "phone": check.text(rec, "phone", limit=20) or None,
        "bio": check.text(rec, "bio", limit=4000),
        "fields": check.fields(rec, "interests"),
        "availability": check.slots(rec, "availability"),
        "qualifications": check.strings(rec, "qualifications"),
    }
    if plan["email"] and "@" not in plan["email"]:
        check.fail("email の形式が正しくありません")
    home = check.text(rec, "district", limit=40)
    home_district = check.districts([home], "district") if home else []
    plan["home"] = home_district[0] if home_district else None
    plan["districts"] = check.districts(check.strings(rec, "activity_districts") or ([home] if home else []),
                                        "activity_districts")
    plan["skills"], plan["free"] = check.skills(check.strings(rec, "skills"))
    public = rec.get("public_card", False)
    if not isinstance(public, bool):
        check.fail("public_card は true か false です")
    plan["public"] = public is True
    plan["expires_on"] = None
    if (raw := rec.get("expires_on")) is not None:
        try:
            plan["expires_on"] = date.fromisoformat(raw)
        except (TypeError, ValueError):
            check.fail("expires_on は YYYY-MM-DD の日付です")
    return plan


def _check_group(check: _Checker, rec: dict) -> dict:
    if rec.get("kind", "group") != "group":
        check.fail("groups の kind は group です")
    gtype = GROUP_TYPES.get(fold(check.text(rec, "group_type", limit=30)) or "その他")
    if gtype is None and rec.get("group_type") in {t.value for t in GroupType}:
        gtype = GroupType(rec["group_type"])
    if gtype is None:
        check.fail(f"group_type が不明です: {rec.get('group_type')}")
    status = rec.get("status") or "確認済"
    status = GROUP_STATUSES.get(status) or (status if status in {s.value for s in GroupStatus} else None)
    if status is None:
        check.fail(f"status が不明です: {rec.get('status')}（確認済・申請中・休止・停止）")
    members = rec.get("members")
    if members is not None and (not isinstance(members, int) or isinstance(members, bool) or members < 0):
        check.fail("members は 0 以上の整数です")
    home = check.text(rec, "district", limit=40)
    names = list(dict.fromkeys(([home] if home else []) + check.strings(rec, "activity_districts")))
    skills, free = check.skills(check.strings(rec, "skills"))
    return {
        "name": check.text(rec, "name", required=True, limit=100), "group_type": gtype, "status": status,
        "email": check.text(rec, "email", limit=254) or None, "phone": check.text(rec, "phone", limit=20) or None,
        "description": check.text(rec, "description", limit=10_000), "members": members,
        "districts": check.districts(names, "district / activity_districts"),
        "fields": check.fields(rec, "interests"), "availability": check.slots(rec, "availability"),
        "skills": skills, "free": free,
    }


def _check_issue(check: _Checker, rec: dict) -> dict:
    # A department the reference data lacks is added (the seeded list is a sample the administrator edits).
    department = check.text(rec, "department", required=True, limit=60)
    status = rec.get("status") or "公募中"
    status = ISSUE_STATUSES.get(status) or (status if status in {s.value for s in ProjectStatus} else None)
    if status is None:
        check.fail(f"status が不明です: {rec.get('status')}（公募中・完了 など）")
    accepts = check.strings(rec, "accepts") or ["individual", "group"]
    if not set(accepts) <= {"individual", "group"}:
        check.fail("accepts は individual と group の組み合わせです")
    needed = rec.get("needed", 1)
    if not isinstance(needed, int) or isinstance(needed, bool) or not 0 <= needed <= 10_000:
        check.fail("needed は 0 以上の整数です")
        needed = 0
    skills, free = check.skills(check.strings(rec, "skills"))
    return {
        "title": check.text(rec, "title", required=True, limit=120),
        "description": check.text(rec, "description", limit=10_000), "department": department, "status": status,
        "fields": check.fields(rec, "field"), "districts": check.districts(check.strings(rec, "districts"),
                                                                           "districts"),
        "schedule": check.slots(rec, "schedule"), "skills": skills, "free": free,
        "needed_individuals": needed if "individual" in accepts else 0,
        "needed_groups": needed if "group" in accepts else 0,
    }


def _save_volunteer(key: str, plan: dict, today: date) -> bool:
    profile = db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.external_key == key))
    added = profile is None
    if added:
        user = db.session.scalar(select(User).where(func.lower(User.email) == plan["email"]))
        if user is None:
            # No password: the person sets one through the password-reset link when they want to log in.
            user = User(email=plan["email"], display_name=plan["name"][:60], password_hash=None)
            user.roles = [UserRole(role=Role.VOLUNTEER.value)]
            db.session.add(user)
            db.session.flush()
        elif not user.has_role(Role.VOLUNTEER):
            user.roles.append(UserRole(role=Role.VOLUNTEER.value))
        profile = VolunteerProfile(user_id=user.id, external_key=key, expires_on=today + timedelta(days=3 * 365))
        db.session.add(profile)
    else:
        user = profile.user
        user.email = plan["email"]
        user.display_name = plan["name"][:60]
    profile.real_name = plan["name"][:60]
    profile.contact_email = plan["email"]
    profile.phone = plan["phone"]
    profile.home_district_id = plan["home"].id if plan["home"] else None
    profile.districts = plan["districts"]
    profile.skills = plan["skills"]
    profile.free_tags = plan["free"]
    profile.fields = plan["fields"]
    profile.availability = plan["availability"]
    profile.bio = plan["bio"]
    profile.public_card = plan["public"]
    if plan["expires_on"]:
        profile.expires_on = plan["expires_on"]
    existing = {q.name: q for q in profile.qualifications}
    profile.qualifications = [existing.get(n) or Qualification(name=n[:60])
                              for n in dict.fromkeys(plan["qualifications"])]
    db.session.flush()
    search.enqueue("volunteer", profile.user_id)
    return added


def _save_group(key: str, plan: dict, today: date) -> bool:
    group = db.session.scalar(select(CivicGroup).where(CivicGroup.external_key == key))
    added = group is None
    if added:
        group = CivicGroup(external_key=key)
        db.session.add(group)
    if plan["status"] == GroupStatus.VERIFIED and group.status != GroupStatus.VERIFIED:
        group.verified_at = utcnow()
    group.name = plan["name"]
    group.group_type = plan["group_type"].value
    group.status = str(plan["status"])
    group.contact_email = plan["email"]
    group.contact_phone = plan["phone"]
    group.members_count = plan["members"]
    group.description = _with_line(plan["description"], FREE_SKILLS_LABEL, plan["free"])
    group.districts = plan["districts"]
    group.fields = plan["fields"]
    group.skills = plan["skills"]
    group.availability = plan["availability"]
    db.session.flush()
    search.enqueue("group", group.id)
    return added


def _save_issue(key: str, plan: dict, today: date) -> bool:
    project = db.session.scalar(select(Project).where(Project.external_key == key))
    added = project is None
    status = str(plan["status"])
    if added:
        project = Project(external_key=key, kind=ProjectKind.ISSUE.value, status=ProjectStatus.DRAFT.value)
        db.session.add(project)
    if project.status != status:
        project.transitions.append(ProjectTransition(from_status=project.status, to_status=status,
                                                     comment="load-json による一括取り込み"))
        if status != ProjectStatus.DRAFT and project.published_at is None:
            project.published_at = utcnow()
        if status in (ProjectStatus.CLOSED, ProjectStatus.CANCELLED) and project.closed_at is None:
            project.closed_at = utcnow()
    project.status = status
    project.title = plan["title"]
    project.summary = plan["description"][:400]
    project.background = plan["description"]
    project.department_id = plan["department"].id
    project.partner_role = _with_line("", WANTED_SKILLS_LABEL, plan["free"]).strip()
    project.fields = plan["fields"]
    project.districts = plan["districts"]
    project.skills = plan["skills"]
    project.schedule_slots = plan["schedule"]
    project.on_weekdays = any(s[:3] in {"mon", "tue", "wed", "thu", "fri"} for s in plan["schedule"])
    project.on_weekends = any(s[:3] in {"sat", "sun"} for s in plan["schedule"])
    project.needed_individuals = plan["needed_individuals"]
    project.needed_groups = plan["needed_groups"]
    db.session.flush()
    search.enqueue("project", project.id)
    return added
