"""Reference data edited by administrators (skills also by coordinators): committees with CSV import,
departments, activity-field labels, skill categories and skills."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from kyodo_match.extensions import db
from kyodo_match.models import ActivityField, AuditEvent, Department, District, Role, Skill, SkillCategory


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _district(name: str) -> District | None:
    return db.session.scalar(select(District).where(District.name == name))


def _changes() -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "reference_changed").order_by(AuditEvent.id)))


def _upload(client, content: bytes, name: str = "committees.csv"):
    return client.post("/admin/reference/districts/import", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_admin_adds_and_renames_a_committee(admin, client):
    area_id = _district("安桜").area_id
    response = client.post("/admin/reference/districts/new", data={"name": "新しい委員会", "area_id": str(area_id),
                                                                  "active": "y"})
    assert response.status_code == 303
    district = _district("新しい委員会")
    assert district.active and district.area_id == area_id
    response = client.post(f"/admin/reference/districts/{district.id}", data={"name": "改名した委員会",
                                                                              "area_id": str(area_id)})
    assert response.status_code == 303
    district = db.session.get(District, district.id)
    assert district.name == "改名した委員会" and not district.active  # unticked: deactivated, not deleted
    added, edited = _changes()
    assert added.details["change"] == "added"
    assert edited.details["changes"] == {"name": ["新しい委員会", "改名した委員会"], "active": [True, False]}
    assert edited.actor_id == admin.id


def test_duplicate_committee_name_is_refused_beside_the_field(admin, client):
    before = _count(District)
    response = client.post("/admin/reference/districts/new", data={"name": "安桜",
                                                                  "area_id": str(_district("安桜").area_id)})
    assert response.status_code == 422
    assert "同じ名前がすでに登録されています" in response.get_data(as_text=True)
    assert _count(District) == before and _changes() == []


def test_csv_import_in_utf8_with_bom_adds_only_missing_committees(admin, client):
    before = _count(District)
    content = "地域委員会名,地域\r\n安桜,関\r\n新町,関\r\n洞戸東,洞戸\r\n".encode("utf-8-sig")
    response = _upload(client, content)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "追加: 2件" in page and "変更なし: 1件" in page
    assert _count(District) == before + 2
    assert _district("洞戸東").area.name == "洞戸"
    [event] = _changes()
    assert event.details["added"] == ["新町", "洞戸東"]


def test_csv_import_reads_shift_jis_as_excel_writes_it(admin, client):
    content = "髙橋台,武芸川\r\n①丁目,板取\r\n".encode("cp932")
    response = _upload(client, content)
    assert response.status_code == 200
    assert _district("髙橋台").area.name == "武芸川"
    assert _district("①丁目") is not None


def test_malformed_csv_is_refused_with_line_numbers_and_nothing_is_written(admin, client):
    before = _count(District)
    content = "正しい委員会,関\n足りない列\n地域が違う,東京\n,関\n".encode()
    response = _upload(client, content)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "2行目:" in page and "3行目:" in page and "4行目:" in page and "1行目:" not in page
    assert "取り込みませんでした" in page
    assert _count(District) == before and _district("正しい委員会") is None and _changes() == []


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00\x00\x81", b"\n\n"])
def test_empty_or_unreadable_csv_is_refused(content, admin, client):
    before = _count(District)
    assert _upload(client, content).status_code == 422
    assert _count(District) == before


def test_admin_adds_and_edits_a_department(admin, client):
    response = client.post("/admin/reference/departments/new", data={
        "name": "デジタル推進課", "division": "総務部", "staff_count": "9", "active": "y"})
    assert response.status_code == 303
    department = db.session.scalar(select(Department).where(Department.name == "デジタル推進課"))
    assert department.staff_count == 9 and department.division == "総務部"
    response = client.post(f"/admin/reference/departments/{department.id}", data={
        "name": "デジタル推進課", "division": "総務部", "staff_count": "12", "active": "y"})
    assert response.status_code == 303
    assert db.session.get(Department, department.id).staff_count == 12
    assert _changes()[-1].details["changes"] == {"staff_count": [9, 12]}


def test_duplicate_department_is_refused_beside_the_field(admin, client):
    before = _count(Department)
    response = client.post("/admin/reference/departments/new", data={
        "name": "市民協働課", "division": "", "staff_count": "3", "active": "y"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "同じ名前がすでに登録されています" in page and 'id="name-error"' in page
    assert _count(Department) == before


def test_negative_or_non_numeric_staff_count_is_refused(admin, client):
    for value, message in [("-1", "0以上"), ("たくさん", "数字で入力")]:
        response = client.post("/admin/reference/departments/new", data={
            "name": "新設課", "staff_count": value, "active": "y"})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Department).where(Department.name == "新設課")) is None


def test_department_form_fragment_for_htmx(admin, client):
    response = client.post("/admin/reference/departments/new", headers={"HX-Request": "true"},
                           data={"name": "", "staff_count": "1"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'id="reference-form"' in text and "<html" not in text
    assert "HX-Request" in response.headers["Vary"]


def test_admin_relabels_an_activity_field_but_not_its_code(admin, client):
    field = db.session.get(ActivityField, 1)
    official = field.official
    response = client.post("/admin/reference/fields/1", data={"label": "保健・医療・福祉", "code": "99"})
    assert response.status_code == 303
    field = db.session.get(ActivityField, 1)
    assert field.label == "保健・医療・福祉" and field.official == official
    assert db.session.get(ActivityField, 99) is None
    assert client.get("/admin/reference/fields/999").status_code == 404


def test_coordinator_adds_a_category_and_a_skill_and_deactivates_it(login_as, client):
    coordinator = login_as(Role.COORDINATOR)
    assert client.post("/admin/reference/skills/categories/new", data={"name": "伝統工芸"}).status_code == 303
    category = db.session.scalar(select(SkillCategory).where(SkillCategory.name == "伝統工芸"))
    response = client.post("/admin/reference/skills/new", data={
        "name": "刃物研ぎ", "category_id": str(category.id), "active": "y"})
    assert response.status_code == 303
    skill = db.session.scalar(select(Skill).where(Skill.name == "刃物研ぎ"))
    assert skill.active and skill.category_id == category.id
    response = client.post(f"/admin/reference/skills/{skill.id}", data={
        "name": "刃物研ぎ", "category_id": str(category.id)})
    assert response.status_code == 303
    assert not db.session.get(Skill, skill.id).active
    assert all(e.actor_id == coordinator.id for e in _changes())
    assert "刃物研ぎ" in client.get("/admin/reference/skills").get_data(as_text=True)


def test_duplicate_skill_is_refused(login_as, client):
    login_as(Role.COORDINATOR)
    existing = db.session.scalars(select(Skill)).first()
    before = _count(Skill)
    response = client.post("/admin/reference/skills/new", data={
        "name": existing.name, "category_id": str(existing.category_id), "active": "y"})
    assert response.status_code == 422
    assert _count(Skill) == before


def test_coordinator_cannot_post_to_admin_only_reference_data(login_as, client):
    login_as(Role.COORDINATOR)
    before = _count(Department)
    response = client.post("/admin/reference/departments/new", data={"name": "勝手な課", "staff_count": "1"})
    assert response.status_code == 403
    assert _count(Department) == before
