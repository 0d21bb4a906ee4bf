"""Demo accounts for every role and a little content, so that `make run` shows a living product."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from . import search
from .auth.services import create_user
from .extensions import db
from .models import (
    ActivityField,
    Application,
    CivicGroup,
    Department,
    District,
    GroupRepresentative,
    Project,
    ProjectPartner,
    ProjectTransition,
    Role,
    Skill,
    User,
    VolunteerProfile,
    utcnow,
)
from .projects.services import schedule_days
from .reference.services import load_data, seed_reference

DEMO_PASSWORD = "hamono-no-machi-2026"  # noqa: S105  (published in the README for local demos)

DEMO_USERS = [
    # email, display name, roles, department
    ("admin@example.jp", "管理者 関", [Role.ADMIN], None),
    ("coordinator@example.jp", "市民活動センター 長良", [Role.COORDINATOR], None),
    ("staff@example.jp", "土木課 刃物", [Role.STAFF, Role.VOLUNTEER], "土木課"),
    ("kyodo@example.jp", "市民協働課 小瀬", [Role.STAFF, Role.VOLUNTEER], "市民協働課"),
    ("volunteer@example.jp", "やまだ はなこ", [Role.VOLUNTEER], None),
    ("volunteer2@example.jp", "うかい たろう", [Role.VOLUNTEER], None),
    ("group@example.jp", "NPO法人 せきまち代表", [Role.GROUP_REP], None),
]


def _named(model, names, attr="name"):
    column = getattr(model, attr)
    return list(db.session.scalars(select(model).where(column.in_(list(names)))))


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _demo_volunteer(n: int, item: dict, notice_version: str) -> None:
    user = _user(item["account"]) if "account" in item else _user(f"demo-volunteer{n}@example.jp")
    if user is None:
        user = create_user(email=f"demo-volunteer{n}@example.jp", password=DEMO_PASSWORD, display_name=item["name"],
                           roles=[Role.VOLUNTEER], consent_version=notice_version)
    if db.session.get(VolunteerProfile, user.id) is not None:
        return
    home = db.session.scalar(select(District).where(District.name == item["home"]))
    profile = VolunteerProfile(
        user_id=user.id, real_name=item["real_name"], real_name_kana=item["kana"], contact_email=user.email,
        phone=item["phone"], home_district_id=home.id if home else None, free_tags=item["tags"],
        availability=item["availability"], travel_modes=item["travel"], has_insurance=True,
        insurance_fiscal_year=2026, bio=item["bio"], public_card=item["public"],
        expires_on=date.today() + timedelta(days=3 * 365),
    )
    profile.districts = _named(District, item["districts"])
    profile.skills = _named(Skill, item["skills"])
    profile.fields = _named(ActivityField, item["fields"], attr="code")
    db.session.add(profile)


def _demo_group(item: dict) -> None:
    if db.session.scalar(select(CivicGroup.id).where(CivicGroup.name == item["name"])) is not None:
        return
    group = CivicGroup(
        name=item["name"], name_kana=item["kana"], group_type=item["type"],
        corporate_number=item.get("corporate_number"), representative_name=item["representative_name"],
        members_count=item["members"], founded_year=item["founded"], equipment=item["equipment"],
        facilities=item["facilities"], availability=item["availability"], description=item["description"],
        website=item.get("website"), public_contact=item.get("public_contact"),
        contact_email="contact-" + item["kana"][:4].encode().hex() + "@example.jp", contact_phone="0575-00-9999",
        status=item["status"], verified_at=utcnow() if item["status"] == "verified" else None,
    )
    group.districts = _named(District, item["districts"])
    group.skills = _named(Skill, item["skills"])
    group.fields = _named(ActivityField, item["fields"], attr="code")
    if rep := item.get("rep"):
        group.representatives = [GroupRepresentative(user_id=_user(rep).id)]
    db.session.add(group)


def seed_demo(notice_version: str) -> list[str]:
    """Create what is missing (idempotent); returns the e-mails of the accounts created."""
    seed_reference()
    created = []
    for email, name, roles, dept_name in DEMO_USERS:
        if _user(email) is not None:
            continue
        dept_id = None
        if dept_name:
            dept_id = db.session.scalar(select(Department.id).where(Department.name == dept_name))
        create_user(email=email, password=DEMO_PASSWORD, display_name=name, roles=roles,
                    department_id=dept_id, consent_version=notice_version)
        created.append(email)
    content = load_data("demo.json")
    for n, item in enumerate(content["volunteers"], start=1):
        _demo_volunteer(n, item, notice_version)
    for item in content["groups"]:
        _demo_group(item)
    db.session.flush()
    for item in content.get("projects", []):
        _demo_project(item)
    db.session.flush()
    _demo_applications()
    _demo_adopt()
    _demo_staff_activities(notice_version)
    return created


# 1課1ボランティア: a few more staff, one activity held with its attendance, three coming (one nearly full).
_STAFF = [("demo-staff1@example.jp", "環境課 関口", "環境課"), ("demo-staff2@example.jp", "税務課 武芸川", "税務課"),
          ("demo-staff3@example.jp", "税務課 洞戸", "税務課"), ("demo-staff4@example.jp", "観光課 板取", "観光課"),
          ("demo-staff5@example.jp", "土木課 上之保", "土木課")]


def _demo_staff_activities(notice_version: str) -> None:
    from .models import AdoptSection, StaffActivity, StaffSignup

    if db.session.scalar(select(StaffActivity.id).limit(1)) is not None:
        return
    dept = {d.name: d.id for d in db.session.scalars(select(Department))}
    for email, name, dept_name in _STAFF:
        if _user(email) is None:
            create_user(email=email, password=DEMO_PASSWORD, display_name=name, roles=[Role.STAFF],
                        department_id=dept[dept_name], consent_version=notice_version)
    db.session.flush()
    people = {u.email: u for u in db.session.scalars(select(User).where(User.department_id.is_not(None)))}
    river = db.session.scalar(select(AdoptSection.id).where(AdoptSection.name.startswith("長良川左岸")))
    now = utcnow().replace(minute=0, second=0, microsecond=0)

    def activity(dept_name, title, days, hours, capacity, **extra):
        starts = now + timedelta(days=days)
        item = StaffActivity(department_id=dept[dept_name], title=title, starts_at=starts,
                             ends_at=starts + timedelta(hours=hours), capacity=capacity,
                             signup_deadline=starts - timedelta(days=2), **extra)
        db.session.add(item)
        db.session.flush()
        return item

    held = activity("土木課", "長良川左岸のごみ拾い", -20, 2, 15, place="長良川左岸（鮎之瀬橋〜小瀬橋）",
                    meeting_point="鮎之瀬橋の西詰め 8時50分集合", bring="軍手、帽子、飲み物（ごみ袋は市で用意します）",
                    description="アダプト区間の里親団体と一緒に、河川敷のごみを拾います。", adopt_section_id=river,
                    attendance_recorded_at=now - timedelta(days=19))
    coming = activity("環境課", "安桜山の遊歩道の草刈り", 12, 3, 4, place="安桜山公園",
                      meeting_point="安桜山公園 駐車場", bring="軍手、長袖、飲み物。草刈り鎌は市で用意します。",
                      description="遊歩道の草刈りと落ち葉の片付けをします。雨天中止（前日17時に判断）。")
    activity("市民協働課", "地域委員会の夏祭り 運営ボランティア", 30, 4, 11, place="わかくさ・プラザ",
             meeting_point="わかくさ・プラザ 正面玄関", bring="動きやすい服装", audience="department",
             participation="workplace", description="課として、地域委員会の夏祭りの受付と片付けを手伝います。")
    activity("税務課", "刃物まつり会場の清掃", 45, 2, 20, place="本町通り", meeting_point="関鍛冶伝承館前",
             bring="軍手", description="刃物まつりの翌朝、会場周辺を清掃します。")
    for email in ("staff@example.jp", "demo-staff5@example.jp", "demo-staff2@example.jp"):
        db.session.add(StaffSignup(activity_id=held.id, user_id=people[email].id,
                                   department_id=people[email].department_id, status="confirmed",
                                   confirmed_at=now - timedelta(days=30), attended=True, minutes=120))
    held.taken = 3
    for i, email in enumerate(("demo-staff1@example.jp", "demo-staff3@example.jp", "demo-staff4@example.jp")):
        db.session.add(StaffSignup(activity_id=coming.id, user_id=people[email].id,
                                   department_id=people[email].department_id, status="confirmed",
                                   confirmed_at=now - timedelta(hours=5 - i)))
    coming.taken = 3


# アダプトプログラム: three sections (one adopted, with a report), and the supplies catalogue.
_SECTIONS = [
    ("安桜山公園の遊歩道", "park", "安桜", "都市計画課", "公園入口", "展望台", 1200, None,
     {"type": "LineString", "coordinates": [[136.9155, 35.4960], [136.9178, 35.4985], [136.9196, 35.5003]]}),
    ("長良川左岸（鮎之瀬橋〜小瀬橋）", "river", "倉知", "土木課", "鮎之瀬橋", "小瀬橋", 1800, None,
     {"type": "LineString", "coordinates": [[136.9050, 35.4700], [136.8990, 35.4752], [136.8930, 35.4810]]}),
    ("市役所前の花壇", "other", "安桜", "都市計画課", "", "", None, 120,
     {"type": "Polygon", "coordinates": [[[136.9110, 35.4955], [136.9114, 35.4955], [136.9114, 35.4958],
                                          [136.9110, 35.4958], [136.9110, 35.4955]]]}),
]
_SUPPLIES = [("ごみ袋（45L）", "枚", False, 500), ("軍手", "組", False, 200), ("花苗", "株", False, 300),
             ("草刈り鎌", "本", True, 20)]


def _demo_adopt() -> None:
    from .models import ActivityReport, AdoptAgreement, Adoption, AdoptSection, SupplyItem

    if db.session.scalar(select(AdoptSection.id).limit(1)) is not None:
        return
    today = date.today()
    for name, unit, loan, stock in _SUPPLIES:
        db.session.add(SupplyItem(name=name, unit=unit, is_loan=loan, stock=stock))
    made = []
    for name, kind, district, dept, start, end, length, area, geometry in _SECTIONS:
        section = AdoptSection(
            name=name, kind=kind, district_id=db.session.scalar(select(District.id).where(District.name == district)),
            department_id=db.session.scalar(select(Department.id).where(Department.name == dept)),
            description=f"{name}の清掃と草刈りをしてくださる里親を募集しています。", start_point=start, end_point=end,
            length_m=length, area_m2=area, geometry=geometry, min_activities_per_year=4)
        db.session.add(section)
        made.append(section)
    db.session.flush()
    group = db.session.scalar(select(CivicGroup).where(CivicGroup.name == "NPO法人 せきまちネット"))
    if group is None:
        return
    park = made[0]
    adoption = Adoption(section_id=park.id, group_id=group.id, activities=["cleaning", "mowing"], times_per_year=6,
                        members_count=12, has_insurance=True, local_tie="live", status="agreed",
                        plan="奇数月の第1日曜日に、遊歩道の清掃と草刈りをします。")
    db.session.add(adoption)
    db.session.flush()
    agreement = AdoptAgreement(adoption_id=adoption.id, section_id=park.id, group_id=group.id,
                               starts_on=today - timedelta(days=120), ends_on=today + timedelta(days=245),
                               group_duties="遊歩道の清掃と草刈り（年6回）、危険箇所の連絡",
                               city_duties="ごみ袋・軍手の支給、集めたごみの回収、保険の案内",
                               sign_text="せきまちネットが美化活動をしています", sign_approved=True,
                               contact_name="関 まち子", contact_phone="0575-00-0001")
    park.status = "active"
    db.session.add(agreement)
    db.session.flush()
    db.session.add(ActivityReport(agreement_id=agreement.id, section_id=park.id,
                                  activity_date=today - timedelta(days=30), participants=9, minutes=120,
                                  work=["cleaning", "mowing"], bags=7, kg_tenths=215,
                                  note="遊歩道沿いの草を刈り、空き缶を集めました。"))


def _demo_applications() -> None:
    """A few applications in different states, so the centre's queue and the department's list are not empty."""
    from .applications import flow
    from .applications.services import apply_to_project

    if db.session.scalar(select(Application.id).limit(1)) is not None:
        return
    today = date.today()
    river = db.session.scalar(select(Project).where(Project.title == "長良川河川敷のごみ拾いと草刈り"))
    kitchen = db.session.scalar(select(Project).where(Project.title == "子ども食堂のボランティア（市全域）"))
    centre = _user("coordinator@example.jp")
    hanako, taro, rep = _user("volunteer@example.jp"), _user("volunteer2@example.jp"), _user("group@example.jp")
    if not (river and kitchen and centre and hanako and taro and rep):
        return
    first = apply_to_project(river, hanako, {"message": "草刈り機を使えます。土曜の午前なら毎回参加できます。"},
                             today=today)
    flow.move(first, "approved", centre)
    apply_to_project(kitchen, taro, {"message": "調理師の経験があります。金曜の夜なら参加できます。"}, today=today)
    group = db.session.scalar(select(CivicGroup).where(CivicGroup.name == "NPO法人 せきまちネット"))
    if group is not None:
        apply_to_project(river, rep, {"group_id": group.id, "message": "会員10名ほどで参加します。"}, today=today)


# The lifecycle steps a demo project has been through, to fill its timeline (the demo skips the guards).
_PATH = ["draft", "recruiting", "selecting", "agreement", "running", "evaluating", "closed"]


def _demo_project(item: dict) -> None:
    if db.session.scalar(select(Project.id).where(Project.title == item["title"])) is not None:
        return
    today = date.today()
    dept = db.session.scalar(select(Department).where(Department.name == item["department"]))
    staff = db.session.scalar(select(User).where(User.department_id == dept.id)) if dept else None
    actor = staff or _user("coordinator@example.jp")
    recruit_until = today + timedelta(days=item["recruit_days"])
    project = Project(
        kind=item["kind"], title=item["title"], summary=item["summary"], background=item["background"],
        beneficiaries=item["beneficiaries"], purpose=item["purpose"], outcome_goal=item["outcome_goal"],
        department_id=dept.id, contact_user_id=actor.id, created_by_id=actor.id, domain=item["domain"],
        method=item["method"], city_role=item["city_role"], partner_role=item["partner_role"],
        selection_criteria=item["selection_criteria"], recruit_from=min(today, recruit_until - timedelta(days=30)),
        recruit_until=recruit_until, period_start=recruit_until + timedelta(days=10),
        period_end=today + timedelta(days=item["period_days"]), needed_individuals=item["needed_individuals"],
        needed_groups=item["needed_groups"], schedule_slots=item["slots"], place=item["place"],
        budget_total=item.get("budget_total"), budget_city=item.get("budget_city"), status=item["status"],
        outcome_achieved=item.get("outcome_achieved", ""), outcome_figures=item.get("outcome_figures", ""),
        improvement_notes=item.get("improvement_notes", ""), published_at=utcnow(),
    )
    project.on_weekdays, project.on_weekends = schedule_days(project.schedule_slots, [])
    project.fields = _named(ActivityField, item["fields"], attr="code")
    project.districts = _named(District, item["districts"])
    project.skills = _named(Skill, item["skills"])
    if project.status == "closed":
        project.closed_at = utcnow()
    db.session.add(project)
    db.session.flush()
    if partner := item.get("partner"):
        group = db.session.scalar(select(CivicGroup).where(CivicGroup.name == partner))
        db.session.add(ProjectPartner(project_id=project.id, group_id=group.id, reason=item["partner_reason"],
                                      selected_by_id=actor.id))
    steps = _PATH[: _PATH.index(project.status) + 1]
    for source, target in zip(steps, steps[1:], strict=False):
        db.session.add(ProjectTransition(project_id=project.id, from_status=source, to_status=target,
                                         actor_id=actor.id))


def index_demo() -> int:
    """Rebuild the search index after the demo content was committed."""
    return search.rebuild()
