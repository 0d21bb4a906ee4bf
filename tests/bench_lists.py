"""The paginated lists at scale, as pages through the test client (part of `make bench`).

A throw-away SQLite database (or KYODO_BENCH_DATABASE_URL) with the reference data and, from a fixed seed:
担当課の事業 — 5,000 projects over every status, 3,000 of them 環境課's (with partners); わたしの応募 — one volunteer
with 2,000 ended applications (one per project: an application is unique per project and volunteer), a few open
ones, and 5,000 activity records; 里親の申請 — 1,000 adoptions of 120 groups over 300 sections, 200 of them the
measured representative's (two groups), agreements for the agreed ones. Measured: page 1 and deep pages, logged in
as the department's staff, the centre, the volunteer and the representative — p50 / p95 ms and SQL statements per
request. Every response must be 200, else the row says skipped (timings are printed, never asserted).
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

from sqlalchemy import func, insert, select

from kyodo_match.pagination import page_count
from tests.bench_support import StatementCounter, scratch_app, table, timed

ROUNDS = 20
HOME = "環境課"
HOME_PROJECTS = 3000
OTHER_PROJECTS = 2000
ENDED_APPLICATIONS = 2000
RECORDS = 5000
SECTIONS = 300
GROUPS = 120
ADOPTIONS = 1000
REP_ADOPTIONS = 200
# Years of history: most projects are closed; 22 % are live (公募中 … 実施中).
PROJECT_STATUSES = {"draft": 10, "recruiting": 5, "selecting": 4, "agreement": 3, "running": 10, "evaluating": 5,
                    "closed": 55, "cancelled": 8}
ENDED_STATUSES = {"completed": 50, "declined": 20, "withdrawn": 10, "expired": 15, "invitation_declined": 5}
ADOPTION_STATUSES = {"declined": 40, "withdrawn": 20, "agreed": 20, "applied": 10, "department_approved": 5,
                     "centre_approved": 5}


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _build(rng: random.Random, password: str) -> dict:
    """Everything the pages show, in bulk; returns the logins and the sizes."""
    from kyodo_match.auth.services import create_user
    from kyodo_match.extensions import db
    from kyodo_match.models import (
        ActivityRecord,
        AdoptAgreement,
        Adoption,
        AdoptSection,
        Application,
        CivicGroup,
        Department,
        GroupRepresentative,
        Project,
        ProjectPartner,
        Role,
        User,
        UserRole,
        utcnow,
    )

    now = utcnow()
    today = date.today()
    departments = dict(db.session.execute(select(Department.name, Department.id)).all())
    home = departments[HOME]
    others = [d for name, d in departments.items() if name != HOME]
    logins = {
        "staff": "bench-staff@example.jp", "centre": "bench-centre@example.jp",
        "volunteer": "bench-volunteer@example.jp", "rep": "bench-rep@example.jp",
    }
    people = {
        "staff": create_user(email=logins["staff"], password=password, display_name="環境課 ベンチ",
                             roles=[Role.STAFF], department_id=home),
        "centre": create_user(email=logins["centre"], password=password, display_name="センター ベンチ",
                              roles=[Role.COORDINATOR]),
        "volunteer": create_user(email=logins["volunteer"], password=password, display_name="ベンチ はなこ",
                                 roles=[Role.VOLUNTEER]),
        "rep": create_user(email=logins["rep"], password=password, display_name="ベンチ団体代表",
                           roles=[Role.GROUP_REP]),
    }
    ids = {key: user.id for key, user in people.items()}

    # groups (verified), each with a representative of its own; the measured one represents the first two
    db.session.execute(insert(User), [{"email": f"rep{i}@bench.example", "display_name": f"代表者{i}",
                                       "active": True, "session_version": 1, "created_at": now}
                                      for i in range(GROUPS)])
    rep_users = list(db.session.scalars(select(User.id).where(User.email.like("rep%@bench.example"))
                                        .order_by(User.id)))
    db.session.execute(insert(UserRole), [{"user_id": u, "role": Role.GROUP_REP.value, "granted_at": now}
                                          for u in rep_users])
    db.session.execute(insert(CivicGroup), [
        {"name": f"ベンチ団体{i:03d}", "name_kana": "", "group_type": "npo", "status": "verified",
         "contact_email": f"group{i}@bench.example", "contact_phone": "0575-00-0000", "verified_at": now,
         "description": "河川敷の清掃をしています。", "created_at": now, "updated_at": now} for i in range(GROUPS)])
    groups = list(db.session.scalars(select(CivicGroup.id).order_by(CivicGroup.id)))
    reps = [{"group_id": g, "user_id": u, "joined_at": now} for g, u in zip(groups, rep_users, strict=True)]
    reps += [{"group_id": g, "user_id": ids["rep"], "joined_at": now} for g in groups[:2]]
    db.session.execute(insert(GroupRepresentative), reps)

    # 担当課の事業: 3,000 of 環境課, 2,000 of the others, every status, updated over three years
    projects = []
    for n in range(HOME_PROJECTS + OTHER_PROJECTS):
        status = _weighted(rng, PROJECT_STATUSES)
        updated = now - timedelta(days=rng.randrange(0, 3 * 365), minutes=rng.randrange(0, 1440))
        start = (updated - timedelta(days=60)).date()
        projects.append({
            "kind": "project", "title": f"河川敷の清掃と草刈り {n}", "summary": "長良川の河川敷をきれいにします。",
            "department_id": home if n < HOME_PROJECTS else rng.choice(others), "domain": "cooperation",
            "method": "joint_project", "purpose": "安心して遊べる河川敷を取り戻すため",
            "city_role": "ごみ袋と軍手の支給", "partner_role": "清掃活動の企画", "selection_method": "open_call",
            "selection_criteria": "河川清掃の経験", "recruit_from": start, "recruit_until": start + timedelta(days=30),
            "period_start": start + timedelta(days=40), "period_end": start + timedelta(days=400),
            "needed_individuals": 5, "needed_groups": 1, "place": "長良川河川敷", "status": status,
            "created_at": updated - timedelta(days=90), "updated_at": updated,
            "published_at": None if status == "draft" else updated - timedelta(days=60),
            "closed_at": updated if status == "closed" else None})
    db.session.execute(insert(Project), projects)
    by_status: dict[str, list[int]] = {}
    for pid, status in db.session.execute(select(Project.id, Project.status).order_by(Project.id)):
        by_status.setdefault(status, []).append(pid)
    partnered = [p for s in ("agreement", "running", "evaluating", "closed") for p in by_status.get(s, [])]
    db.session.execute(insert(ProjectPartner), [
        {"project_id": p, "group_id": rng.choice(groups), "reason": "経験があるため", "selected_at": now}
        for p in partnered])

    # わたしの応募: 2,000 ended applications to finished projects, a few open ones, 5,000 days recorded
    finished = by_status["closed"] + by_status["cancelled"] + by_status["evaluating"]
    targets = rng.sample(finished, ENDED_APPLICATIONS)
    apps = []
    for pid in targets:
        acted = now - timedelta(days=rng.randrange(0, 3 * 365), minutes=rng.randrange(0, 1440))
        status = _weighted(rng, ENDED_STATUSES)
        apps.append({"project_id": pid, "volunteer_user_id": ids["volunteer"], "status": status,
                     "origin": "invitation" if status == "invitation_declined" else "application",
                     "message": "土曜の午前なら参加できます。", "created_by_id": ids["volunteer"],
                     "created_at": acted - timedelta(days=20), "last_action_at": acted,
                     "confirmed_at": acted if status == "completed" else None})
    live = rng.sample(by_status["recruiting"] + by_status["running"], 7)
    for pid, status in zip(live, ["invited", "invited", "applied", "applied", "reviewing", "confirmed", "active"],
                           strict=True):
        apps.append({"project_id": pid, "volunteer_user_id": ids["volunteer"], "status": status,
                     "origin": "invitation" if status == "invited" else "application", "message": "",
                     "created_by_id": ids["volunteer"], "created_at": now - timedelta(days=5),
                     "last_action_at": now - timedelta(days=1),
                     "confirmed_at": now if status in ("confirmed", "active") else None})
    db.session.execute(insert(Application), apps)
    completed = list(db.session.scalars(select(Application.id).where(
        Application.volunteer_user_id == ids["volunteer"], Application.status == "completed")
        .order_by(Application.id)))
    records = []
    for k in range(RECORDS):
        app_id = completed[k % len(completed)]
        day = today - timedelta(days=(k // len(completed)) * 7 + rng.randrange(0, 7) + 30 * (app_id % 30))
        records.append({"application_id": app_id, "activity_date": day, "attended": rng.random() > 0.1,
                        "minutes": rng.choice([60, 90, 120, 180]), "participants": 1, "note": "",
                        "created_at": now})
    db.session.execute(insert(ActivityRecord), records)

    # 里親の申請: 300 sections, 1,000 adoptions (200 of the measured representative's two groups)
    managers = [departments[name] for name in ("土木課", "都市計画課", "環境課", "農林課", "下水道課")]
    db.session.execute(insert(AdoptSection), [
        {"name": f"市道{i}号線（ベンチ区間）", "kind": rng.choice(["road", "river", "park"]),
         "department_id": rng.choice(managers), "description": "清掃と草刈りの里親を募集しています。",
         "start_point": "起点", "end_point": "終点", "length_m": rng.randrange(200, 3000),
         "min_activities_per_year": 4, "status": "open", "created_at": now, "updated_at": now}
        for i in range(SECTIONS)])
    sections = list(db.session.scalars(select(AdoptSection.id).order_by(AdoptSection.id)))
    adoptions = []
    for k in range(ADOPTIONS):
        group = rng.choice(groups[:2]) if k < REP_ADOPTIONS else rng.choice(groups[2:])
        created = now - timedelta(days=rng.randrange(0, 5 * 365), minutes=rng.randrange(0, 1440))
        status = _weighted(rng, ADOPTION_STATUSES)
        adoptions.append({
            "section_id": rng.choice(sections), "group_id": group, "activities": ["cleaning", "mowing"],
            "plan": "奇数月の第1日曜日に清掃と草刈りをします。", "times_per_year": 6, "members_count": 10,
            "has_insurance": True, "local_tie": "live", "status": status,
            "reason": "ほかの団体と協議中のため" if status == "declined" else "",
            "department_approved_by_id": ids["staff"] if status in ("agreed", "department_approved") else None,
            "centre_approved_by_id": ids["centre"] if status in ("agreed", "centre_approved") else None,
            "created_by_id": ids["rep"], "created_at": created, "updated_at": created})
    db.session.execute(insert(Adoption), adoptions)
    agreed = db.session.execute(select(Adoption.id, Adoption.section_id, Adoption.group_id, Adoption.created_at)
                                .where(Adoption.status == "agreed")).all()
    db.session.execute(insert(AdoptAgreement), [
        {"adoption_id": a, "section_id": s, "group_id": g, "starts_on": c.date() + timedelta(days=30),
         "ends_on": c.date() + timedelta(days=395), "auto_renew": True, "group_duties": "清掃と草刈り（年6回）",
         "city_duties": "ごみ袋・軍手の支給", "sign_text": "美化活動をしています", "sign_approved": True,
         "contact_name": "関 まち子", "contact_phone": "0575-00-0001", "status": "active", "created_at": now}
        for a, s, g, c in agreed])
    db.session.commit()

    closed_home = db.session.scalar(select(func.count(Project.id)).where(Project.department_id == home,
                                                                         Project.status == "closed"))
    closed_adoptions = db.session.scalar(select(func.count(Adoption.id)).where(
        Adoption.status.in_(["declined", "withdrawn"])))
    rep_total = db.session.scalar(select(func.count(Adoption.id)).where(Adoption.group_id.in_(groups[:2])))
    return {"logins": logins, "projects": len(projects), "home_closed": closed_home,
            "applications": len(apps), "records": len(records), "adoptions": len(adoptions),
            "closed_adoptions": closed_adoptions, "rep_adoptions": rep_total, "agreements": len(agreed)}


def _pages_to_measure(built: dict) -> list[tuple[str, str, str, str, dict]]:
    """(what, corpus, who, path, headers)."""
    from kyodo_match.adopt.adoption import PER_PAGE
    from kyodo_match.applications.reading import ENDED_PER_PAGE, HISTORY_PER_PAGE
    from kyodo_match.projects.services import STATUS_PAGE_SIZE

    projects = f"{built['projects']:,} projects ({HOME} {HOME_PROJECTS:,})"
    mine = f"{ENDED_APPLICATIONS:,} ended applications / {built['records']:,} records"
    adopt = f"{built['adoptions']:,} adoptions / {SECTIONS} sections"
    closed_last = page_count(built["home_closed"], STATUS_PAGE_SIZE)
    ended_deep = min(150, page_count(ENDED_APPLICATIONS, ENDED_PER_PAGE))
    history_deep = min(200, page_count(built["records"], HISTORY_PER_PAGE))
    queue_last = page_count(built["closed_adoptions"], PER_PAGE)
    rep_last = page_count(built["rep_adoptions"], PER_PAGE)
    fragment = {"HX-Request": "true", "HX-Target": "mine-ended"}
    return [
        ("担当課の事業, board", projects, "staff", "/issues/mine", {}),
        ("担当課の事業, board, all departments", projects, "centre", "/issues/mine", {}),
        ("担当課の事業, 完了 page 1", projects, "staff", "/issues/mine?status=closed", {}),
        (f"担当課の事業, 完了 page {closed_last} (last)", projects, "staff",
         f"/issues/mine?status=closed&page={closed_last}", {}),
        ("わたしの応募, page 1", mine, "volunteer", "/applications/mine", {}),
        (f"わたしの応募, ended page {ended_deep}", mine, "volunteer",
         f"/applications/mine?ended_page={ended_deep}", {}),
        (f"わたしの応募, history page {history_deep}", mine, "volunteer",
         f"/applications/mine?history_page={history_deep}", {}),
        (f"わたしの応募, htmx ended page {ended_deep}", mine, "volunteer",
         f"/applications/mine?ended_page={ended_deep}", fragment),
        ("里親の申請, 見送り・取り下げ page 1", adopt, "centre", "/adopt/adoptions?status=closed", {}),
        (f"里親の申請, 見送り・取り下げ page {queue_last} (last)", adopt, "centre",
         f"/adopt/adoptions?status=closed&page={queue_last}", {}),
        ("わたしの団体の里親, page 1", f"{built['rep_adoptions']} adoptions of 2 groups", "rep", "/adopt/mine", {}),
        (f"わたしの団体の里親, page {rep_last} (last)", f"{built['rep_adoptions']} adoptions of 2 groups", "rep",
         f"/adopt/mine?page={rep_last}", {}),
    ]


def measure() -> dict:
    from kyodo_match.demo import DEMO_PASSWORD
    from kyodo_match.extensions import db
    from kyodo_match.reference.services import seed_reference

    rng = random.Random(11)
    out: dict = {"pages": []}
    with scratch_app("lists", WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False) as (app, _url):
        with app.app_context():
            db.drop_all()
            db.create_all()
            seed_reference()
            db.session.commit()
            started = time.perf_counter()
            built = _build(rng, DEMO_PASSWORD)
            out.update(built, load_s=time.perf_counter() - started)
            statements = StatementCounter(db.engine)
        # requests outside the app context above: each gets its own context and session, as in production
        clients = {}
        for who, email in built["logins"].items():
            clients[who] = app.test_client()
            clients[who].post("/login", data={"email": email, "password": DEMO_PASSWORD})
        for what, corpus, who, path, headers in _pages_to_measure(built):
            client = clients[who]
            first = client.get(path, headers=headers)
            if first.status_code != 200:
                out["pages"].append((what, corpus, who, path, None, first.status_code))
                continue
            statements.reset()
            p50, slow, answers = timed(lambda c=client, p=path, h=headers: c.get(p, headers=h), ROUNDS)
            bad = sorted({a.status_code for a in answers} - {200})
            result = None if bad else (p50, slow, statements.n / ROUNDS)
            out["pages"].append((what, corpus, who, path, result, bad[0] if bad else 200))
    return out


def rows(r: dict) -> list[tuple]:
    out = [("lists: load synthetic data (s)",
            f"{r['projects']:,} projects, {r['applications']:,} applications, {r['adoptions']:,} adoptions",
            f"{r['load_s']:.1f}", "", f"{ROUNDS} requests a page")]
    for what, corpus, who, path, result, status in r["pages"]:
        if result is None:
            out.append((f"lists: {what} as {who} {path}", corpus, "skipped", f"HTTP {status}", ""))
            continue
        p50, p95, sql = result
        out.append((f"lists: {what} as {who} (ms)", corpus, f"{p50:.1f}", f"{p95:.1f}", f"{sql:.1f} SQL/request"))
    return out


if __name__ == "__main__":
    started = time.perf_counter()
    print("\n".join(table(rows(measure()))))
    print(f"{time.perf_counter() - started:.0f} s in all")
