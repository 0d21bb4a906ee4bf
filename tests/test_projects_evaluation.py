"""評価・成果・改善・成果の公表: both sides' sheets side by side, the outcome report and its files, the results page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select

from kyodo_match.extensions import db
from kyodo_match.models import Department, EvaluationAnswer, Notification, Project, ProjectFile, ProjectPartner, Role
from kyodo_match.projects import evaluation
from tests.factories import make_group, make_project, make_user

HX = {"HX-Request": "true"}
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _staff(name="環境課"):
    dept = db.session.scalar(select(Department.id).where(Department.name == name))
    return make_user(Role.STAFF, department_id=dept)


def _evaluating(staff, partner_user, status="evaluating", **fields) -> Project:
    """A project in 評価 whose contact is ``staff`` and whose partner group is represented by ``partner_user``."""
    project = make_project(status=status, contact_user_id=staff.id, **fields)
    group = make_group(representative=partner_user)
    db.session.add(ProjectPartner(project_id=project.id, group_id=group.id, reason="河川清掃の経験"))
    db.session.commit()
    return project


def _sheet(answer="yes", **overrides) -> dict:
    """Form data answering every item with ``answer``; overrides are {item_key: answer or (answer, comment)}."""
    data = {}
    for item in evaluation.sheet():
        value = overrides.get(item.key.replace("-", "_"), answer)
        chosen, comment = value if isinstance(value, tuple) else (value, "")
        slug = item.key.replace("-", "_")
        if chosen is not None:
            data[f"answer_{slug}"] = chosen
        data[f"comment_{slug}"] = comment
    return data


def _answer_both(project, staff):
    items = {i.key: ("yes", "") for i in evaluation.sheet()}
    evaluation.save_answers(project, "department", staff, items)
    evaluation.save_answers(project, "partner", staff, items)
    db.session.commit()


def _jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (40, 30), (200, 10, 10))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (35.0, 29.0, 44.0),
        ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (136.0, 55.0, 6.0)})
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(out.getvalue())).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test's own check
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 120, 0)).save(out, "PNG")
    return out.getvalue()


def _upload(client, project, data: bytes, name: str, public: bool = False, headers=None):
    form = {"file": (io.BytesIO(data), name)}
    if public:
        form["public"] = "y"
    return client.post(f"/issues/{project.id}/files", data=form, content_type="multipart/form-data",
                       headers=headers or {})


def _stored(app) -> list[Path]:
    root = Path(app.config["KYODO_UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- the evaluation sheets ------------------------------------------------------------------------------------

def test_department_and_partner_each_answer_all_25_items_and_the_comparison_marks_the_difference(client, login):
    staff, rep = _staff(), make_user(Role.GROUP_REP)
    project = _evaluating(staff, rep)

    login(staff)
    form_page = _text(client.get(f"/issues/{project.id}/evaluation/department"))
    assert form_page.count('<fieldset class="evaluation-stage">') == 4
    assert form_page.count('type="radio"') == 75 and "協働のパートナーと行政の双方にメリットがありましたか" in form_page
    saved = client.post(f"/issues/{project.id}/evaluation/department", data=_sheet("yes"))
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/issues/{project.id}/evaluation")
    told = db.session.scalars(select(Notification).where(Notification.user_id == rep.id)).all()
    assert [n.kind for n in told] == ["evaluation_finished"] and told[0].link == f"/issues/{project.id}/evaluation"
    client.post("/logout")

    login(rep)
    partner_page = client.post(f"/issues/{project.id}/evaluation/partner",
                               data=_sheet("yes", plan_1=("no", "目的の共有が<b>不十分</b>"), improve_5="na"))
    assert partner_page.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(EvaluationAnswer)) == 50
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == staff.id)) == 1

    page = client.get(f"/issues/{project.id}/evaluation")
    html = _text(page)
    assert page.status_code == 200
    assert html.count("回答が異なります") == 3  # two differing rows, and the notice that explains the label
    assert "双方の回答が異なる項目が2件あります" in html
    assert "目的の共有が&lt;b&gt;不十分&lt;/b&gt;" in html and "<b>不十分" not in html
    assert "担当課: 25項目中 25項目回答済み" in html and "協働のパートナー: 25項目中 25項目回答済み" in html
    fragment = client.get(f"/issues/{project.id}/evaluation", headers=HX)
    assert fragment.status_code == 200 and "<html" not in _text(fragment) and "回答が異なります" in _text(fragment)
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    assert evaluation.differences(project) == {"plan-1", "improve-5"}


def test_an_incomplete_sheet_is_422_naming_the_missing_item_and_saves_nothing(client, login):
    staff = _staff()
    project = _evaluating(staff, make_user(Role.GROUP_REP))
    login(staff)
    refused = client.post(f"/issues/{project.id}/evaluation/department", data=_sheet("yes", do_3=None))
    assert refused.status_code == 422
    html = _text(refused)
    message = "実施段階 3「企画の修正について協議できる体制でしたか」に回答してください。"
    assert html.count(message) == 2  # in the summary and beside the item
    assert 'id="answer_do_3-error"' in html and 'aria-describedby="answer_do_3-error"' in html
    assert "計画段階 1「" not in html
    assert db.session.scalar(select(func.count()).select_from(EvaluationAnswer)) == 0
    fragment = client.post(f"/issues/{project.id}/evaluation/department", data=_sheet("yes", do_3=None), headers=HX)
    assert fragment.status_code == 422 and "<html" not in _text(fragment) and message in _text(fragment)
    assert "HX-Request" in fragment.headers["Vary"]

    assert client.post(f"/issues/{project.id}/evaluation/department", data=_sheet("no")).status_code == 303
    again = client.post(f"/issues/{project.id}/evaluation/department", data=_sheet("yes", do_3=None))
    assert again.status_code == 422 and message in _text(again)  # a saved answer does not stand in for it
    assert set(db.session.scalars(select(EvaluationAnswer.answer))) == {"no"}


def test_an_odd_answer_is_refused_beside_its_item(client, login):
    staff = _staff()
    project = _evaluating(staff, make_user(Role.GROUP_REP))
    login(staff)
    refused = client.post(f"/issues/{project.id}/evaluation/department", data=_sheet("yes", outcome_2="maybe"))
    assert refused.status_code == 422 and "成果把握 2「成果目標を公開できますか」に回答してください。" in _text(refused)


@pytest.mark.parametrize("status", ["running", "closed"])
def test_the_sheet_outside_evaluation_is_409(client, login, status):
    staff = _staff()
    project = _evaluating(staff, make_user(Role.GROUP_REP), status=status)
    login(staff)
    assert client.get(f"/issues/{project.id}/evaluation/department").status_code == 409
    posted = client.post(f"/issues/{project.id}/evaluation/department", data=_sheet("yes"))
    assert posted.status_code == 409 and "「評価中」の事業にだけ" in _text(posted)
    assert db.session.scalar(select(func.count()).select_from(EvaluationAnswer)) == 0
    overview = client.get(f"/issues/{project.id}/evaluation").status_code
    assert overview == (200 if status == "closed" else 409)


def test_a_volunteer_who_is_not_a_partner_gets_403_on_the_partner_sheet_and_the_comparison(client, login):
    project = _evaluating(_staff(), make_user(Role.GROUP_REP))
    login(make_user(Role.VOLUNTEER))
    assert client.get(f"/issues/{project.id}/evaluation/partner").status_code == 403
    assert client.post(f"/issues/{project.id}/evaluation/partner", data=_sheet("yes")).status_code == 403
    assert client.get(f"/issues/{project.id}/evaluation").status_code == 403
    assert client.get(f"/issues/{project.id}/evaluation/department").status_code == 403
    assert client.get(f"/issues/{project.id}/outcome").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(EvaluationAnswer)) == 0


def test_a_volunteer_partner_answers_the_partner_side_but_not_the_department_side(client, login):
    staff, volunteer = _staff(), make_user(Role.VOLUNTEER)
    project = make_project(status="evaluating", contact_user_id=staff.id)
    db.session.add(ProjectPartner(project_id=project.id, volunteer_user_id=volunteer.id))
    db.session.commit()
    login(volunteer)
    assert client.post(f"/issues/{project.id}/evaluation/department", data=_sheet("yes")).status_code == 403
    assert client.post(f"/issues/{project.id}/evaluation/partner", data=_sheet("no")).status_code == 303
    sides = set(db.session.scalars(select(EvaluationAnswer.side)))
    assert sides == {"partner"}


def test_a_coordinator_may_view_the_partner_sheet_but_not_answer_it(client, login):
    project = _evaluating(_staff(), make_user(Role.GROUP_REP))
    login(make_user(Role.COORDINATOR))
    page = client.get(f"/issues/{project.id}/evaluation/partner")
    assert page.status_code == 200 and "閲覧だけできます" in _text(page) and 'disabled' in _text(page)
    assert client.post(f"/issues/{project.id}/evaluation/partner", data=_sheet("yes")).status_code == 403
    assert client.post(f"/issues/{project.id}/evaluation/department", data=_sheet("yes")).status_code == 303


def test_staff_of_another_department_gets_403_on_the_sheets(client, login):
    project = _evaluating(_staff(), make_user(Role.GROUP_REP))
    login(_staff("土木課"))
    assert client.get(f"/issues/{project.id}/evaluation").status_code == 403
    assert client.post(f"/issues/{project.id}/evaluation/department", data=_sheet("yes")).status_code == 403


# --- the outcome report and its files -------------------------------------------------------------------------

def test_a_text_file_renamed_png_is_refused_and_nothing_is_written(app, client, login):
    staff = _staff()
    project = _evaluating(staff, make_user(Role.GROUP_REP))
    login(staff)
    refused = _upload(client, project, b"just some text, not an image\n", "photo.png", public=True)
    assert refused.status_code == 422 and "PDF、JPEG、PNGのファイルだけを登録できます。" in _text(refused)
    fragment = _upload(client, project, b"<svg onload=alert(1)>", "x.png", headers=HX)
    assert fragment.status_code == 422 and "<html" not in _text(fragment) and 'id="outcome-files"' in _text(fragment)
    assert "HX-Request" in fragment.headers["Vary"]
    assert db.session.scalar(select(func.count()).select_from(ProjectFile)) == 0 and _stored(app) == []


def test_an_oversized_file_is_refused_with_nothing_written(app, client, login):
    staff = _staff()
    project = _evaluating(staff, make_user(Role.GROUP_REP))
    login(staff)
    refused = _upload(client, project, PDF_BYTES + b"0" * (5 * 1024 * 1024), "report.pdf")
    assert refused.status_code == 422 and "5MB以下のファイルにしてください。" in _text(refused)
    too_big = _upload(client, project, PDF_BYTES + b"0" * (9 * 1024 * 1024), "huge.pdf")
    assert too_big.status_code == 413 and "送信されたデータが大きすぎます" in _text(too_big)
    assert db.session.scalar(select(func.count()).select_from(ProjectFile)) == 0 and _stored(app) == []


def test_a_jpeg_with_gps_exif_is_stored_without_its_metadata(app, client, login):
    staff = _staff()
    project = _evaluating(staff, make_user(Role.GROUP_REP))
    login(staff)
    assert _upload(client, project, _jpeg_with_gps(), "../../河川敷\x00の清掃.PNG").status_code == 303
    row = db.session.scalar(select(ProjectFile))
    assert row.content_type == "image/jpeg" and row.original_name == "河川敷_の清掃.jpg" and not row.public
    [path] = _stored(app)
    assert path.parent == Path(app.instance_path) / "uploads" / "projects" / str(project.id)
    assert path.name == row.stored_name and len(row.stored_name) == 32 and row.size == path.stat().st_size
    stored = path.read_bytes()
    assert b"Exif" not in stored and b"TestCam" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()

    served = client.get(f"/issues/{project.id}/files/{row.id}")
    assert served.status_code == 200 and served.data == stored
    assert served.headers["Content-Type"] == "image/jpeg" and served.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in served.headers.get("Content-Disposition", "")
    client.post("/logout")
    assert client.get(f"/issues/{project.id}/files/{row.id}").status_code == 404  # private, and not closed


def test_staff_deletes_a_file_while_evaluating_and_its_bytes_are_gone(app, client, login):
    staff = _staff()
    project = _evaluating(staff, make_user(Role.GROUP_REP))
    login(staff)
    _upload(client, project, _png(), "写真.png")
    row = db.session.scalar(select(ProjectFile))
    assert len(_stored(app)) == 1
    assert client.post(f"/issues/{project.id}/files/{row.id}/delete").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(ProjectFile)) == 0 and _stored(app) == []


def test_a_partner_reads_the_outcome_report_but_cannot_write_it(client, login):
    staff, rep = _staff(), make_user(Role.GROUP_REP)
    project = _evaluating(staff, rep, outcome_achieved="ごみの量が4割減った")
    login(rep)
    page = client.get(f"/issues/{project.id}/outcome")
    assert page.status_code == 200 and "ごみの量が4割減った" in _text(page) and "<textarea" not in _text(page)
    assert client.post(f"/issues/{project.id}/outcome", data={"outcome_achieved": "書き換え"}).status_code == 403
    assert _upload(client, project, _png(), "a.png").status_code == 403


def test_an_overlong_outcome_is_422_beside_the_field_as_page_and_fragment(client, login):
    staff = _staff()
    project = _evaluating(staff, make_user(Role.GROUP_REP))
    login(staff)
    data = {"outcome_achieved": "あ" * 4001, "improvement_notes": "募集を早める"}
    page = client.post(f"/issues/{project.id}/outcome", data=data)
    assert page.status_code == 422 and "4000文字以内で入力してください。" in _text(page) and "<html" in _text(page)
    fragment = client.post(f"/issues/{project.id}/outcome", data=data, headers=HX)
    assert fragment.status_code == 422 and "<html" not in _text(fragment) and 'id="outcome-report"' in _text(fragment)
    assert "HX-Request" in fragment.headers["Vary"]
    db.session.refresh(project)
    assert project.improvement_notes == ""


# --- closing and the public results ---------------------------------------------------------------------------

def test_closing_succeeds_only_after_both_sheets_the_outcome_and_the_improvement_notes(client, login):
    staff = _staff()
    project = _evaluating(staff, make_user(Role.GROUP_REP))
    login(staff)
    close = {"target": "closed"}
    assert client.post(f"/issues/{project.id}/transition", data=close).status_code == 409
    assert client.post(f"/issues/{project.id}/evaluation/department", data=_sheet("yes")).status_code == 303
    refused = client.post(f"/issues/{project.id}/transition", data=close)
    assert refused.status_code == 409 and "双方が評価シートの全項目に回答" in _text(refused)
    evaluation.save_answers(project, "partner", staff, {i.key: ("yes", "") for i in evaluation.sheet()})
    db.session.commit()
    client.post(f"/issues/{project.id}/outcome", data={"outcome_achieved": "ごみの量が4割減った"})
    refused = client.post(f"/issues/{project.id}/transition", data=close)
    assert refused.status_code == 409 and "成果の報告と改善の記録" in _text(refused)
    saved = client.post(f"/issues/{project.id}/outcome", data={
        "outcome_achieved": "ごみの量が4割減った", "outcome_figures": "延べ120人", "improvement_notes": "募集を早める"})
    assert saved.status_code == 303
    assert client.post(f"/issues/{project.id}/transition", data=close).status_code == 303
    db.session.refresh(project)
    assert project.status == "closed" and project.closed_at is not None
    assert client.post(f"/issues/{project.id}/outcome", data={"outcome_achieved": "後から"}).status_code == 409


def test_the_results_page_lists_the_closed_project_with_its_public_file_and_not_a_private_one(app, client, login):
    staff = _staff()
    project = _evaluating(staff, make_user(Role.GROUP_REP), title="河川敷の清掃 2026")
    login(staff)
    assert _upload(client, project, PDF_BYTES, "活動報告書.pdf", public=True).status_code == 303
    assert _upload(client, project, _png(), "参加者の顔写真.png").status_code == 303
    _answer_both(project, staff)
    client.post(f"/issues/{project.id}/outcome", data={
        "outcome_achieved": "ごみの量が4割減った", "improvement_notes": "募集を早める"})
    assert client.post(f"/issues/{project.id}/transition", data={"target": "closed"}).status_code == 303
    public_file, private_file = db.session.scalars(select(ProjectFile).order_by(ProjectFile.id)).all()
    client.post("/logout")

    page = client.get("/issues/results")
    html = _text(page)
    assert page.status_code == 200 and "河川敷の清掃 2026" in html and "ごみの量が4割減った" in html
    assert "活動報告書.pdf" in html and "参加者の顔写真" not in html and "環境課" in html
    fragment = client.get("/issues/results", headers=HX)
    assert "<html" not in _text(fragment) and 'id="project-results"' in _text(fragment)
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]

    show = _text(client.get(f"/issues/{project.id}"))
    assert "ごみの量が4割減った" in show and "募集を早める" in show and "年4回の清掃でごみの量を半分にする" in show
    assert "活動報告書.pdf" in show and "参加者の顔写真" not in show
    pdf = client.get(f"/issues/{project.id}/files/{public_file.id}")
    assert pdf.status_code == 200 and pdf.data == PDF_BYTES and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/issues/{project.id}/files/{private_file.id}").status_code == 404
    assert client.get(f"/issues/999999/files/{public_file.id}").status_code == 404


def test_the_outcome_is_not_on_the_public_page_before_closing(client, login):
    rep = make_user(Role.GROUP_REP)
    project = _evaluating(_staff(), rep, outcome_achieved="まだ公開しない成果のメモ",
                          improvement_notes="まだ公開しない改善のメモ")
    page = _text(client.get(f"/issues/{project.id}"))
    assert "まだ公開しない" not in page and "事業の完了後にこのページで公表します" in page
    assert "河川敷のごみ拾いと草刈り" not in _text(client.get("/issues/results"))
    login(rep)
    partner_view = _text(client.get(f"/issues/{project.id}"))
    assert "担当課: 25項目中 0項目回答済み" in partner_view
    assert f"/issues/{project.id}/evaluation" in partner_view and f"/issues/{project.id}/outcome" in partner_view


def test_the_results_page_loads_its_projects_without_a_query_per_project(client, queries):
    staff = _staff()

    def closed(n):
        for i in range(n):
            project = make_project(status="closed", title=f"完了した事業{n}-{i}", outcome_achieved="達成",
                                   improvement_notes="改善", contact_user_id=staff.id, commit=False)
            db.session.add(ProjectFile(project_id=project.id, original_name=f"報告{i}.pdf", stored_name=f"s{i}x{n}",
                                       content_type="application/pdf", size=10, public=True))
        db.session.commit()

    closed(2)
    with queries() as few:
        assert client.get("/issues/results").status_code == 200
    closed(6)
    with queries() as many:
        assert "完了した事業6-5" in _text(client.get("/issues/results"))
    assert many.count == few.count


def test_after_closing_staff_cannot_delete_a_file_but_can_withdraw_it_from_the_results(app, client, login):
    staff = _staff()
    project = _evaluating(staff, make_user(Role.GROUP_REP))
    login(staff)
    _upload(client, project, PDF_BYTES, "名簿つき報告書.pdf", public=True)
    _answer_both(project, staff)
    client.post(f"/issues/{project.id}/outcome", data={"outcome_achieved": "達成", "improvement_notes": "改善"})
    assert client.post(f"/issues/{project.id}/transition", data={"target": "closed"}).status_code == 303
    row = db.session.scalar(select(ProjectFile))
    assert "名簿つき報告書.pdf" in _text(client.get("/issues/results"))
    assert client.post(f"/issues/{project.id}/files/{row.id}/delete").status_code == 409
    assert client.post(f"/issues/{project.id}/files/{row.id}/public", data={"public": "0"}).status_code == 303
    assert f"/files/{row.id}" not in _text(client.get("/issues/results"))
    assert len(_stored(app)) == 1
    client.post("/logout")
    assert client.get(f"/issues/{project.id}/files/{row.id}").status_code == 404
