"""CSV for Excel: UTF-8 with a BOM, CRLF, Japanese headers, the current filters, no formulas, audited with the count."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from kyodo_match.coordination.export import csv_cell
from kyodo_match.extensions import db
from kyodo_match.i18n import today_jst
from kyodo_match.models import AuditEvent, Role
from tests.factories import make_group, make_user, make_volunteer_profile


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_people_csv_opens_in_excel_with_contact_data_and_is_audited(login_as, client):
    user = make_user(Role.VOLUNTEER, display_name="=HYPERLINK(\"http://evil.example\",\"押して\")",
                     email="kawako-contact@example.jp")
    make_volunteer_profile(user, real_name="長良 川子", phone="090-1234-5678", skills=["草刈り"])
    make_volunteer_profile(real_name="+関 太郎")
    coordinator = login_as(Role.COORDINATOR)

    response = client.get("/coordination/people.csv")
    raw = response.get_data()
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert raw.startswith("\ufeff".encode())
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="volunteers-{today_jst():%Y%m%d}.csv"')
    assert response.headers["Cache-Control"] == "no-store"

    header, *rows = _rows(response)
    assert header[:6] == ["利用者番号", "表示名", "氏名", "ふりがな", "メールアドレス", "電話番号"]
    by_name = {r[2]: dict(zip(header, r, strict=True)) for r in rows}
    kawako = by_name["長良 川子"]
    assert kawako["表示名"] == "'=HYPERLINK(\"http://evil.example\",\"押して\")"
    assert (kawako["メールアドレス"], kawako["電話番号"], kawako["特技・技能"]) == (
        "kawako-contact@example.jp", "090-1234-5678", "草刈り")
    assert "'+関 太郎" in by_name

    [event] = _events("personal_data_exported")
    assert (event.actor_id, event.target, event.details["rows"]) == (coordinator.id, "volunteers", 2)


def test_people_csv_follows_the_current_filters(login_as, client):
    make_volunteer_profile(real_name="関 太郎")
    make_volunteer_profile(real_name="美濃 花子", stage="grant")
    login_as(Role.COORDINATOR)
    list_page = client.get("/coordination/people?stage=grant").get_data(as_text=True)
    link = re.search(r'href="(/coordination/people\.csv[^"]*)"', list_page).group(1)
    assert "stage=grant" in link
    rows = _rows(client.get(link.replace("&amp;", "&")))
    assert [r[2] for r in rows[1:]] == ["美濃 花子"]
    assert _rows(client.get("/coordination/people.csv?q=関太郎"))[1][2] == "関 太郎"
    assert [e.details["rows"] for e in _events("personal_data_exported")] == [1, 1]
    assert _events("personal_data_exported")[0].details["filters"] == {"stage": "grant"}


def test_groups_csv_has_private_contact_and_the_filter(login_as, client):
    make_group("@山の会", status="pending", contact_email="yama@example.jp", address="関市平和通1丁目")
    make_group("川の会", status="verified")
    admin = login_as(Role.ADMIN)
    response = client.get("/coordination/groups.csv?status=pending")
    assert response.get_data().startswith("\ufeff".encode())
    assert response.headers["Content-Disposition"] == f'attachment; filename="groups-{today_jst():%Y%m%d}.csv"'
    header, *rows = _rows(response)
    assert header[:3] == ["団体番号", "団体名", "ふりがな"] and "住所" in header
    [row] = [dict(zip(header, r, strict=True)) for r in rows]
    assert (row["団体名"], row["状態"], row["メールアドレス"], row["住所"]) == (
        "'@山の会", "申請中", "yama@example.jp", "関市平和通1丁目")
    [event] = _events("personal_data_exported")
    assert (event.actor_id, event.target, event.details["rows"]) == (admin.id, "groups", 1)


def test_an_empty_export_still_has_the_header_and_is_audited(login_as, client):
    login_as(Role.COORDINATOR)
    header, *rows = _rows(client.get("/coordination/people.csv"))
    assert header[1] == "表示名" and rows == []
    assert _events("personal_data_exported")[0].details["rows"] == 0


def test_csv_cells_that_would_run_as_formulas_get_an_apostrophe():
    for dangerous in ["=1+1", "+81", "-2", "@SUM(A1)", "\tx", "\rx"]:
        assert csv_cell(dangerous) == "'" + dangerous
    assert csv_cell("0575-22-3131") == "0575-22-3131"
    assert csv_cell("関 太郎") == "関 太郎"
    assert csv_cell(None) == ""
