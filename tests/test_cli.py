"""Command-line tasks: create-user, seed-reference, seed-demo, index rebuild/check."""

from __future__ import annotations

from sqlalchemy import func, select

from kyodo_match.demo import DEMO_PASSWORD
from kyodo_match.extensions import db
from kyodo_match.models import AuditEvent, District, Skill, User, VolunteerProfile


def test_seed_reference_is_idempotent(app):
    runner = app.test_cli_runner()
    before = db.session.scalar(select(func.count(Skill.id)))
    result = runner.invoke(args=["seed-reference"])
    assert result.exit_code == 0 and "skills +0" in result.output
    assert db.session.scalar(select(func.count(Skill.id))) == before == 52
    assert db.session.scalar(select(func.count(District.id))) == 15


def test_create_user_prompts_for_a_password_and_refuses_a_weak_one(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "--role", "staff", "--role", "volunteer",
                                 "--email", "Taro@City.example", "--department", "土木課"],
                           input="kawa-no-ayu-2026\nkawa-no-ayu-2026\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "taro@city.example"))
    assert user.role_names == {"staff", "volunteer"} and user.department.name == "土木課"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user_created")).details["via"] == "cli"
    weak = runner.invoke(args=["create-user", "--role", "admin", "--email", "a@city.example"],
                         input="password\npassword\n")
    assert weak.exit_code != 0 and "推測されやすい" in weak.output
    unknown = runner.invoke(args=["create-user", "--role", "staff", "--email", "b@city.example",
                                  "--department", "ない課"], input="kawa-no-ayu-2026\nkawa-no-ayu-2026\n")
    assert unknown.exit_code != 0 and "課が見つかりません" in unknown.output


def test_seed_demo_makes_a_living_product_once(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "admin@example.jp" in first.output
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "作成済み" in again.output
    assert db.session.scalar(select(func.count(VolunteerProfile.user_id))) == 8
    assert client.post("/login", data={"email": "coordinator@example.jp", "password": DEMO_PASSWORD}).status_code == 303
    client.post("/logout")
    bank = client.get("/volunteers/?q=草刈り").get_data(as_text=True)
    assert "うかい たろう" in bank
    assert "090-1111-0002" not in bank
    assert runner.invoke(args=["index", "check"]).exit_code == 0
    from kyodo_match.models import Project, ProjectTransition

    assert db.session.scalar(select(func.count(Project.id))) == 5  # once, not twice
    from kyodo_match.models import Application

    states = sorted(db.session.scalars(select(Application.status)))
    assert states == ["applied", "applied", "approved"]  # the centre's queue has something to show
    adopt = client.get("/adopt/").get_data(as_text=True)
    assert "安桜山公園の遊歩道" in adopt and "長良川左岸（鮎之瀬橋〜小瀬橋）" in adopt
    assert "0575-00-0001" not in client.get("/adopt/results").get_data(as_text=True)
    issues = client.get("/issues/?open=1").get_data(as_text=True)
    assert "長良川河川敷のごみ拾いと草刈り" in issues and "津保川の水辺の生きもの調査" not in issues
    closed = db.session.scalar(select(Project).where(Project.status == "closed"))
    steps = db.session.scalars(select(ProjectTransition.to_status).where(ProjectTransition.project_id == closed.id))
    assert list(steps)[-1] == "closed" and "親子58組" in client.get(f"/issues/{closed.id}").get_data(as_text=True)


def test_seed_demo_is_refused_in_production(app):
    app.config["KYODO_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "本番環境" in result.output


def test_index_rebuild_and_check_commands(app):
    from tests.factories import make_volunteer_profile

    make_volunteer_profile(skills=["手話"])
    runner = app.test_cli_runner()
    assert runner.invoke(args=["index", "check"]).exit_code != 0  # the profile never reached the index
    rebuilt = runner.invoke(args=["index", "rebuild"])
    assert rebuilt.exit_code == 0 and "1 件" in rebuilt.output
    checked = runner.invoke(args=["index", "check"])
    assert checked.exit_code == 0 and "一致しています" in checked.output


def test_seed_demo_shows_1ka1_volunteering_once(app, client):
    from kyodo_match.models import StaffActivity, StaffSignup

    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert db.session.scalar(select(func.count(StaffActivity.id))) == 4  # once, not twice
    assert db.session.scalar(select(func.count(StaffSignup.id))) == 6
    assert client.post("/login", data={"email": "staff@example.jp", "password": DEMO_PASSWORD}).status_code == 303
    page = client.get("/ikka/").get_data(as_text=True)
    assert "安桜山の遊歩道の草刈り" in page and "残り1席" in page
    assert "地域委員会の夏祭り" not in page  # 市民協働課's own-department activity
