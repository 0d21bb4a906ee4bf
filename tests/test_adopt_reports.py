"""Activity reports (活動報告) with photos, the repair requests they raise, and the coordinator's reminders."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from kyodo_match.extensions import db
from kyodo_match.models import (
    ActivityReport,
    AdoptAgreement,
    Adoption,
    AdoptSection,
    Department,
    Notification,
    RepairRequest,
    ReportPhoto,
    Role,
)
from kyodo_match.models.types import utcnow
from tests.factories import make_group, make_user


def make_agreement(dept_name: str = "土木課", *, rep=None, section_name: str = "安桜山公園の遊歩道",
                   starts_on: date | None = None, ends_on: date | None = None, status: str = "active"):
    """A section of ``dept_name``, a verified group with ``rep`` as representative, its adoption and agreement."""
    dept = db.session.scalar(select(Department).where(Department.name == dept_name))
    rep = rep or make_user(Role.GROUP_REP)
    group = make_group(f"里親の会 {section_name}", representative=rep)
    section = AdoptSection(name=section_name, kind="park", department_id=dept.id, status="active")
    db.session.add(section)
    db.session.flush()
    adoption = Adoption(section_id=section.id, group_id=group.id, status="agreed")
    db.session.add(adoption)
    db.session.flush()
    start = starts_on or date.today() - timedelta(days=30)
    agreement = AdoptAgreement(adoption_id=adoption.id, section_id=section.id, group_id=group.id, starts_on=start,
                               ends_on=ends_on or start + timedelta(days=730), status=status)
    db.session.add(agreement)
    db.session.commit()
    return agreement, rep


def png_bytes(size=(8, 8), color=(20, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "KyodoCam"  # Make
    exif[0x0132] = "2026:05:10 09:30:00"  # DateTime
    gps = {1: "N", 2: (35.0, 29.0, 46.0), 3: "E", 4: (136.0, 55.0, 5.0)}  # 関市役所のあたり
    exif[0x8825] = gps
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # the test's own image really carries GPS
        assert check.getexif().get_ifd(0x8825)
    return data


def report_data(**extra) -> dict:
    data = {"activity_date": (date.today() - timedelta(days=1)).isoformat(), "participants": "8", "hours": "1.5",
            "work": ["cleaning", "mowing"], "bags": "6", "kg": "12.5", "note": "河川敷のごみ拾い"}
    data.update(extra)
    return data


def upload_dir(app) -> Path:
    return Path(app.config["KYODO_UPLOAD_DIR"]) / "adopt"


def stored_files(app) -> list[Path]:
    root = upload_dir(app)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in
                 (ActivityReport, ReportPhoto, RepairRequest))


def test_representative_files_reports_and_sees_the_totals(app, client, login):
    agreement, rep = make_agreement()
    login(rep)
    url = f"/adopt/agreements/{agreement.id}/reports/new"
    assert client.get(url).status_code == 200
    assert client.post(url, data=report_data()).status_code == 303
    assert client.post(url, data=report_data(participants="4", hours="2", bags="", kg="0.5",
                                             work=["patrol"])).status_code == 303
    rows = db.session.scalars(select(ActivityReport).order_by(ActivityReport.id)).all()
    assert [(r.participants, r.minutes, r.bags, r.kg_tenths) for r in rows] == [(8, 90, 6, 125), (4, 120, 0, 5)]
    assert rows[0].work == ["cleaning", "mowing"]
    page = client.get(f"/adopt/agreements/{agreement.id}/reports").get_data(as_text=True)
    assert "2回" in page and "12人" in page and "3.5時間" in page and "6袋" in page and "13.0 kg" in page


@pytest.mark.parametrize("field,value,message", [
    ("activity_date", (date.today() + timedelta(days=1)).isoformat(), "未来の日付"),
    ("participants", "0", "1人以上"),
    ("hours", "25", "0〜24時間"),
    ("kg", "1.25", "小数点以下1桁"),
])
def test_a_bad_value_is_refused_beside_its_field_and_nothing_is_written(app, client, login, field, value, message):
    agreement, rep = make_agreement()
    login(rep)
    response = client.post(f"/adopt/agreements/{agreement.id}/reports/new", data=report_data(**{field: value}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert counts() == (0, 0, 0)


def test_a_text_file_named_png_is_refused_and_nothing_is_written(app, client, login):
    agreement, rep = make_agreement()
    login(rep)
    data = report_data(photo_1=(io.BytesIO(png_bytes()), "ok.png"),
                       photo_2=(io.BytesIO(b"just some text, not an image\n" * 10), "evil.png"),
                       problem_kind_1="damage", problem_text_1="手すりが外れている")
    response = client.post(f"/adopt/agreements/{agreement.id}/reports/new", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="photo_2-error"' in page and "JPEGかPNG" in page
    assert counts() == (0, 0, 0) and stored_files(app) == []
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_an_oversized_photo_is_refused_and_nothing_is_written(app, client, login):
    agreement, rep = make_agreement()
    login(rep)
    big = png_bytes() + b"\0" * (5 * 1024 * 1024)
    response = client.post(f"/adopt/agreements/{agreement.id}/reports/new", content_type="multipart/form-data",
                           data=report_data(photo_1=(io.BytesIO(big), "big.png")))
    assert response.status_code == 422
    assert "5MB以下" in response.get_data(as_text=True)
    assert counts() == (0, 0, 0) and stored_files(app) == []


def test_a_jpeg_with_gps_is_stored_without_exif_and_private_photos_are_404_for_anonymous(app, client, login):
    agreement, rep = make_agreement()
    login(rep)
    response = client.post(f"/adopt/agreements/{agreement.id}/reports/new", content_type="multipart/form-data",
                           data=report_data(photo_1=(io.BytesIO(jpeg_with_gps()), "../../IMG_0001.jpg"),
                                            photo_2=(io.BytesIO(png_bytes()), "park.png"), photo_public_2="y"))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    report = db.session.scalar(select(ActivityReport))
    private, public = report.photos
    assert (private.content_type, private.public, public.content_type, public.public) == (
        "image/jpeg", False, "image/png", True)
    stored = upload_dir(app) / str(report.id) / private.stored_name
    assert stored.is_file() and len(private.stored_name) == 32 and "IMG" not in private.stored_name
    with Image.open(stored) as img:
        assert not img.getexif() and not img.getexif().get_ifd(0x8825) and "exif" not in img.info
    assert b"KyodoCam" not in stored.read_bytes()
    served = client.get(f"/adopt/photos/{private.id}")
    assert served.status_code == 200 and served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.mimetype == "image/jpeg" and "no-store" in served.headers["Cache-Control"]
    client.post("/logout")
    assert client.get(f"/adopt/photos/{private.id}").status_code == 404
    assert client.get(f"/adopt/photos/{public.id}").status_code == 200
    section_page = client.get(f"/adopt/sections/{agreement.section_id}").get_data(as_text=True)
    assert f'src="/adopt/photos/{public.id}"' in section_page  # the group chose to publish it
    assert f'src="/adopt/photos/{private.id}"' not in section_page
    stranger = make_user(Role.GROUP_REP)
    login(stranger)
    assert client.get(f"/adopt/photos/{private.id}").status_code == 404
    assert client.get(f"/adopt/agreements/{agreement.id}/reports").status_code == 403
    assert client.get(f"/adopt/agreements/{agreement.id}/reports/new").status_code == 403


def test_a_problem_reaches_the_department_and_the_group_follows_its_status(app, client, login):
    agreement, rep = make_agreement("土木課")
    dept = db.session.scalar(select(Department).where(Department.name == "土木課"))
    other = db.session.scalar(select(Department).where(Department.name == "環境課"))
    staff = make_user(Role.STAFF, department_id=dept.id)
    outsider = make_user(Role.STAFF, department_id=other.id)
    login(rep)
    response = client.post(f"/adopt/agreements/{agreement.id}/reports/new", data=report_data(
        problem_kind_1="damage", problem_text_1="〇〇橋の手すりが外れている", problem_kind_2="dumping",
        problem_text_2="入口に粗大ごみ"))
    assert response.status_code == 303
    repairs = db.session.scalars(select(RepairRequest).order_by(RepairRequest.id)).all()
    assert [(r.kind, r.status, r.group_id) for r in repairs] == [("damage", "received", agreement.group_id),
                                                                  ("dumping", "received", agreement.group_id)]
    notice = db.session.scalar(select(Notification).where(Notification.user_id == staff.id))
    assert notice is not None and "安桜山公園の遊歩道" in notice.message and notice.link == "/adopt/repairs"
    assert db.session.scalar(select(Notification).where(Notification.user_id == outsider.id)) is None

    client.post("/logout")
    login(outsider)
    assert "〇〇橋" not in client.get("/adopt/repairs").get_data(as_text=True)
    assert client.post(f"/adopt/repairs/{repairs[0].id}", data={f"r{repairs[0].id}-status": "done"}).status_code == 403
    client.post("/logout")
    login(staff)
    page = client.get("/adopt/repairs")
    assert page.status_code == 200 and "〇〇橋の手すりが外れている" in page.get_data(as_text=True)
    fragment = client.get("/adopt/repairs", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="repair-results"')
    assert "HX-Request" in fragment.headers["Vary"]
    assert "〇〇橋" in client.get("/adopt/repairs?status=received").get_data(as_text=True)
    assert "〇〇橋" not in client.get("/adopt/repairs?status=done").get_data(as_text=True)
    rid = repairs[0].id
    step = client.post(f"/adopt/repairs/{rid}", headers={"HX-Request": "true"},
                       data={f"r{rid}-status": "in_progress", f"r{rid}-answer": "来週直します"})
    assert step.status_code == 200
    assert step.get_data(as_text=True).lstrip().startswith(f'<li class="card adopt-repair" id="repair-{rid}"')
    declined = client.post(f"/adopt/repairs/{rid}", data={f"r{rid}-status": "declined"}, headers={"HX-Request": "true"})
    assert declined.status_code == 422 and "理由" in declined.get_data(as_text=True)
    assert client.post(f"/adopt/repairs/{rid}", data={f"r{rid}-status": "received"}).status_code == 409
    db.session.expire_all()
    assert db.session.get(RepairRequest, rid).status == "in_progress"
    told = db.session.scalars(select(Notification).where(Notification.user_id == rep.id)).all()
    assert len(told) == 1 and "対応中" in told[0].message
    assert told[0].link == f"/adopt/agreements/{agreement.id}/reports"

    client.post("/logout")
    login(rep)
    page = client.get(f"/adopt/agreements/{agreement.id}/reports").get_data(as_text=True)
    assert "対応中" in page and "来週直します" in page


def test_reports_only_while_the_agreement_is_active(app, client, login):
    agreement, rep = make_agreement(status="paused")
    login(rep)
    assert "現在有効ではない" in client.get(f"/adopt/agreements/{agreement.id}/reports/new").get_data(as_text=True)
    assert client.post(f"/adopt/agreements/{agreement.id}/reports/new", data=report_data()).status_code == 409
    assert counts() == (0, 0, 0)


def test_reminders_list_quiet_sections_ending_agreements_and_unanswered_repairs(app, client, login):
    today = date.today()
    quiet, _rep = make_agreement(section_name="静かな区間", starts_on=today - timedelta(days=200))
    db.session.add(ActivityReport(agreement_id=quiet.id, section_id=quiet.section_id, participants=3,
                                  activity_date=today - timedelta(days=120)))
    never, _rep = make_agreement(section_name="報告のない区間", starts_on=today - timedelta(days=100))
    busy, _rep = make_agreement(section_name="元気な区間", starts_on=today - timedelta(days=300))
    db.session.add(ActivityReport(agreement_id=busy.id, section_id=busy.section_id, participants=3,
                                  activity_date=today - timedelta(days=10)))
    make_agreement(section_name="始まったばかりの区間", starts_on=today - timedelta(days=20))
    ending, _rep = make_agreement(section_name="終わる区間", starts_on=today - timedelta(days=10),
                                  ends_on=today + timedelta(days=20))
    make_agreement(section_name="まだ続く区間", starts_on=today - timedelta(days=10),
                   ends_on=today + timedelta(days=31))
    make_agreement(section_name="休止中の区間", starts_on=today - timedelta(days=300), status="paused")
    old = RepairRequest(section_id=never.section_id, kind="hazard", description="古い依頼",
                        created_at=utcnow() - timedelta(days=15))
    answered = RepairRequest(section_id=never.section_id, kind="hazard", description="回答済みの依頼",
                             status="in_progress", created_at=utcnow() - timedelta(days=30))
    new = RepairRequest(section_id=never.section_id, kind="hazard", description="新しい依頼",
                        created_at=utcnow() - timedelta(days=3))
    db.session.add_all([old, answered, new])
    coordinator = make_user(Role.COORDINATOR)
    db.session.commit()

    from kyodo_match.adopt import reminders

    result = reminders.collect()
    assert [q.agreement.section.name for q in result.quiet] == ["報告のない区間", "静かな区間"]
    assert [a.section.name for a in result.ending] == ["終わる区間"]
    assert [r.description for r in result.unanswered] == ["古い依頼"]

    out = app.test_cli_runner().invoke(args=["adopt-reminders"])
    assert out.exit_code == 0, out.output
    assert "静かな区間" in out.output and "終わる区間" in out.output and "古い依頼" in out.output
    assert "元気な区間" not in out.output and "新しい依頼" not in out.output
    notices = db.session.scalars(select(Notification).where(Notification.user_id == coordinator.id)).all()
    assert len(notices) == 1 and notices[0].link == "/adopt/reminders" and "2件" in notices[0].message

    login(coordinator)
    page = client.get("/adopt/reminders").get_data(as_text=True)
    assert "報告のない区間" in page and "終わる区間" in page and "古い依頼" in page and "始まったばかり" not in page
