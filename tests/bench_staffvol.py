"""1課1ボランティア at the scale of a whole city office over years (part of `make bench`).

A throw-away SQLite database (or KYODO_BENCH_DATABASE_URL) with the reference departments (26), 1,500 staff and
KYODO_BENCH_STAFFVOL_YEARS fiscal years (3 by default) of 40 activities per department and year with ~25 sign-ups
each (≈ 3,100 activities and 78,000 sign-ups). Measured: the yearly picture (SQL statements and time), its CSV, one
person's history, the list page query, and sign-ups through the service (each in its own transaction).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from tests.bench_support import StatementCounter, p95, scratch_app, timed

STAFF = 1500
PER_DEPARTMENT_AND_YEAR = 40
SIGNUPS_PER_ACTIVITY = 25
ROUNDS = 20


def _timed(fn, rounds: int = ROUNDS) -> tuple[float, float]:
    return timed(fn, rounds)[:2]


def measure() -> dict:
    from kyodo_match.extensions import db
    from kyodo_match.i18n import fiscal_year, jst_date
    from kyodo_match.models import Department, Role, StaffActivity, StaffSignup, User, UserRole, utcnow
    from kyodo_match.reference.services import seed_reference
    from kyodo_match.staffvol import activities, attendance, overview, signups

    years = int(os.environ.get("KYODO_BENCH_STAFFVOL_YEARS", "3"))
    rng = random.Random(8)
    out: dict = {"years": years}
    with scratch_app("staffvol") as (app, _url):
        with app.app_context():
            db.drop_all()
            db.create_all()
            seed_reference()
            db.session.commit()
            departments = list(db.session.scalars(select(Department.id)))
            started = time.perf_counter()
            users = [{"email": f"staff{i}@bench.example", "display_name": f"職員{i}",
                      "department_id": departments[i % len(departments)], "active": True, "session_version": 1,
                      "created_at": utcnow()} for i in range(STAFF)]
            db.session.execute(insert(User), users)
            staff_ids = list(db.session.scalars(select(User.id).order_by(User.id)))
            db.session.execute(insert(UserRole), [{"user_id": i, "role": Role.STAFF.value, "granted_at": utcnow()}
                                                  for i in staff_ids])
            dept_of = dict(db.session.execute(select(User.id, User.department_id)).all())
            now = utcnow()
            this_year = fiscal_year(jst_date(now))
            acts = []
            for y in range(this_year - years + 1, this_year + 1):
                base = datetime(y, 4, 10, 0, 0, tzinfo=UTC)
                for d in departments:
                    for k in range(PER_DEPARTMENT_AND_YEAR):
                        starts = base + timedelta(days=rng.randrange(0, 350), hours=rng.randrange(0, 8))
                        acts.append({"department_id": d, "title": f"清掃活動 {d}-{k}", "description": "",
                                     "starts_at": starts, "ends_at": starts + timedelta(hours=2), "place": "河川敷",
                                     "meeting_point": "", "bring": "", "capacity": 30, "taken": 0,
                                     "signup_deadline": starts - timedelta(days=1), "audience": "all",
                                     "participation": "individual", "status": "open", "cancel_reason": "",
                                     "created_at": now, "updated_at": now})
            db.session.execute(insert(StaffActivity), acts)
            activity_ids = list(db.session.scalars(select(StaffActivity.id)))
            rows = []
            for a in activity_ids:
                for u in rng.sample(staff_ids, SIGNUPS_PER_ACTIVITY):
                    rows.append({"activity_id": a, "user_id": u, "department_id": dept_of[u], "status": "confirmed",
                                 "confirmed_at": now, "attended": rng.random() > 0.1, "minutes": 120,
                                 "created_at": now})
            db.session.execute(insert(StaffSignup), rows)
            db.session.execute(StaffActivity.__table__.update().values(taken=SIGNUPS_PER_ACTIVITY))
            db.session.commit()
            out.update(activities=len(activity_ids), signups=len(rows), load_s=time.perf_counter() - started)

            statements = StatementCounter(db.engine)
            picture = overview.yearly_picture(this_year)
            out["picture_sql"] = statements.n
            out["picture_rows"] = len(picture.rows)
            out["picture"] = _timed(lambda: overview.yearly_picture(this_year))
            out["csv"] = _timed(lambda: overview.overview_csv(overview.yearly_picture(this_year)))
            person = staff_ids[0]
            statements.reset()
            attendance.person_history(person, this_year)
            out["history_sql"] = statements.n
            out["history"] = _timed(lambda: attendance.person_history(person, this_year))
            viewer = db.session.get(User, staff_ids[1])
            out["listing"] = _timed(lambda: activities.listing(viewer, scope="past"))
            db.session.commit()

            # sign-ups through the service, one transaction each (seat UPDATE, overlap check, row lock)
            # 20:00–22:00 UTC: the synthetic activities all lie within 00:00–10:00 UTC, so no sign-up clashes
            at = (now + timedelta(days=30)).replace(hour=20, minute=0, second=0, microsecond=0)
            coming = StaffActivity(department_id=departments[0], title="ベンチ用の活動", starts_at=at,
                                   ends_at=at + timedelta(hours=2), capacity=100,
                                   signup_deadline=at - timedelta(days=1))
            db.session.add(coming)
            db.session.commit()
            people = rng.sample(staff_ids, 200)
            times = []
            for u in people:
                user = db.session.get(User, u)
                start = time.perf_counter()
                signups.sign_up(coming, user)
                db.session.commit()
                times.append((time.perf_counter() - start) * 1000)
            out["signup"] = (statistics.median(times), p95(times))
            db.session.refresh(coming)
            out["signup_check"] = (coming.taken, len(signups.waiting_list(coming.id)))
    return out


def rows(r: dict) -> list[tuple]:
    corpus = f"{r['activities']:,} activities / {r['signups']:,} sign-ups ({r['years']} FY)"
    return [
        ("1課1: load synthetic data (s)", corpus, f"{r['load_s']:.1f}", "", ""),
        ("1課1: yearly picture (ms)", corpus, f"{r['picture'][0]:.1f}", f"{r['picture'][1]:.1f}",
         f"{r['picture_sql']} SQL for {r['picture_rows']} departments"),
        ("1課1: yearly picture as CSV (ms)", corpus, f"{r['csv'][0]:.1f}", f"{r['csv'][1]:.1f}", ""),
        ("1課1: one person's history (ms)", corpus, f"{r['history'][0]:.1f}", f"{r['history'][1]:.1f}",
         f"{r['history_sql']} SQL"),
        ("1課1: past activities list, page 1 (ms)", corpus, f"{r['listing'][0]:.1f}", f"{r['listing'][1]:.1f}", ""),
        ("1課1: sign-up, one transaction each (ms)", "200 sign-ups, 100 seats", f"{r['signup'][0]:.1f}",
         f"{r['signup'][1]:.1f}", f"taken {r['signup_check'][0]}, waiting {r['signup_check'][1]}"),
    ]
