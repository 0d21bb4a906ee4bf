"""アダプトプログラム: activity reports with photos, the repair requests they raise, and the coordinator's reminders."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import uploads
from ..access import permitted, public, roles_required, signed_in
from ..errors import commit_unless_refused
from ..extensions import db
from ..htmx import is_htmx, redirect_to, render
from ..models import ActivityReport, AgreementStatus, Role
from . import reminders, reports
from .report_forms import RepairAnswerForm, ReportForm
from .views import bp

# Five photos of 5 MB each and the text fields: more than the app-wide limit allows for one request.
REPORT_MAX_BYTES = reports.MAX_PHOTOS * uploads.MAX_BYTES + 1024 * 1024
REPAIR_ROLES = (Role.STAFF, Role.COORDINATOR, Role.ADMIN)


def _upload_root() -> Path:
    return Path(current_app.config["KYODO_UPLOAD_DIR"])


def _actor():
    return current_user._get_current_object()


def _input(form: ReportForm) -> reports.ReportInput:
    photos = [reports.PhotoUpload(f.name, f.data.stream, bool(pub.data)) for f, pub in form.photo_fields()
              if f.data is not None and getattr(f.data, "filename", "")]
    return reports.ReportInput(
        activity_date=form.activity_date.data, participants=form.participants.data, minutes=form.minutes(),
        work=form.work.data or [], bags=form.bags.data or 0, kg_tenths=form.kg_tenths(), note=form.note.data or "",
        photos=photos, problems=form.problems())


def _save_report(form: ReportForm, agreement) -> bool:
    """File the report and commit; on a refusal nothing stays (the rollback drops the rows, the photos go too)."""
    root, filed = _upload_root(), {}

    def save():
        report = reports.file_report(agreement, _actor(), _input(form), root=root, link=url_for("adopt.repairs"))
        filed["id"] = report.id

    try:
        return commit_unless_refused(form, save)
    except Exception:
        db.session.rollback()
        reports.discard_report_files(root, filed.get("id"))
        raise


@bp.route("/agreements/<int:agreement_id>/reports/new", methods=["GET", "POST"])
@roles_required(Role.GROUP_REP)
def new_report(agreement_id: int):
    """活動報告を出す: the group's representatives, while the agreement is active."""
    request.max_content_length = REPORT_MAX_BYTES
    agreement = permitted(reports.load_agreement(agreement_id), reports.can_report)
    form = ReportForm()
    context = dict(agreement=agreement, form=form, active=agreement.status == AgreementStatus.ACTIVE.value,
                   labels=reports)
    if request.method == "POST":
        if form.validate_on_submit() and _save_report(form, agreement):
            flash(_("活動報告を受け付けました。ありがとうございました。"), "success")
            return redirect_to(url_for("adopt.agreement_reports", agreement_id=agreement.id))
        return render("adopt/report_form.html", block="form", status=422, **context)
    return render("adopt/report_form.html", block="form", **context)


@bp.route("/agreements/<int:agreement_id>/reports")
@signed_in
def agreement_reports(agreement_id: int):
    """活動報告の一覧と合計, and the repair requests the group follows."""
    agreement = permitted(reports.load_agreement(agreement_id), reports.can_view_reports)
    return render("adopt/reports.html", agreement=agreement, reports_list=reports.reports_of(agreement),
                  totals=reports.totals(agreement), repairs=reports.repairs_of(agreement),
                  can_report=reports.can_report(current_user, agreement)
                  and agreement.status == AgreementStatus.ACTIVE.value, labels=reports)


@bp.route("/photos/<int:photo_id>")
@public
def report_photo(photo_id: int):
    """A report photo: public ones to anyone; the others to the group, its department and the centre (else 404)."""
    photo = reports.load_photo(photo_id)
    if photo is None or not reports.can_view_photo(current_user, photo):
        abort(404)  # a private photo is not there at all for those who may not see it
    return uploads.send_stored(reports.photo_path(_upload_root(), photo), photo.content_type, public=photo.public)


@bp.route("/repairs")
@roles_required(*REPAIR_ROLES)
def repairs():
    """修繕などの依頼: the managing department's staff see their sections', the centre every one."""
    status = request.args.get("status") or None
    rows = reports.repair_queue(current_user, status)
    return render("adopt/repairs.html", block="results", repairs=rows, status_filter=status, labels=reports,
                  forms={r.id: RepairAnswerForm(prefix=f"r{r.id}") for r in rows})


@bp.route("/repairs/<int:repair_id>", methods=["POST"])
@roles_required(*REPAIR_ROLES)
def repair_step(repair_id: int):
    """One step of a repair request (受付 → 対応中 → 対応済み / 対応しない); htmx swaps the row."""
    repair = permitted(reports.load_repair(repair_id), reports.can_answer_repair)
    form = RepairAnswerForm(prefix=f"r{repair.id}")
    ok = False
    if form.validate_on_submit():
        def save():
            reports.move_repair(repair, form.status.data, _actor(), answer=form.answer.data,
                                link=_group_link(repair))
        ok = commit_unless_refused(form, save)
    if ok and not is_htmx():
        flash(_("依頼の状態を「%(status)s」にしました。", status=reports.REPAIR_LABELS[repair.status]), "success")
        return redirect_to(url_for("adopt.repairs"))
    if not ok and not is_htmx():  # the whole queue, with the message beside this request's field
        rows = reports.repair_queue(current_user)
        forms = {r.id: RepairAnswerForm(formdata=None, prefix=f"r{r.id}") for r in rows} | {repair.id: form}
        return render("adopt/repairs.html", status=422, repairs=rows, status_filter=None, labels=reports, forms=forms)
    if ok:
        form = RepairAnswerForm(formdata=None, prefix=f"r{repair.id}")
    return render("adopt/repairs.html", block="repair", status=200 if ok else 422, repair=repair, form=form,
                  labels=reports, saved=ok)


def _group_link(repair) -> str | None:
    """Where the group follows the request: its reports page (none once the report is gone)."""
    report = db.session.get(ActivityReport, repair.report_id) if repair.report_id else None
    return url_for("adopt.agreement_reports", agreement_id=report.agreement_id) if report else None


@bp.route("/reminders")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def reminders_page():
    """コーディネーターへのお知らせ: quiet sections, agreements ending soon, unanswered repair requests."""
    return render("adopt/reminders.html", result=reminders.collect(), labels=reports)
