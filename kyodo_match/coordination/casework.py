"""Casework on the coordination blueprint: 相談記録 (add, correct) and the step-up stage of a person or group."""

from __future__ import annotations

from flask import abort, flash, request
from flask_babel import gettext as _
from flask_login import current_user

from ..access import roles_required
from ..errors import NotAllowed, commit_unless_refused
from ..extensions import db
from ..htmx import is_htmx, redirect_to, render
from ..labels import stage_label
from ..models import Consultation
from . import services
from .forms import ConsultationForm, StageForm
from .views import COORDINATORS, bp, group_or_404, page_url, person_or_404, subject_page


def _record_values(form: ConsultationForm) -> dict:
    return {"held_on": form.held_on.data, "topic": form.topic.data, "notes": form.notes.data,
            "next_step": form.next_step.data}


def _add(subject):
    """Validate, add the record, commit; htmx gets block ``casework`` again (the new row and an empty form)."""
    form = ConsultationForm()
    if form.validate_on_submit():
        if commit_unless_refused(form, lambda: services.add_consultation(current_user, subject,
                                                                         **_record_values(form))):
            flash(_("相談記録を追加しました。"), "success")
            return subject_page(subject) if is_htmx() else redirect_to(page_url(subject))
    return subject_page(subject, consultation_form=form, status=422)


def _change_stage(subject):
    """Validate, change the stage (audited, noted as a consultation record), commit; htmx gets ``casework``."""
    form = StageForm()
    if form.validate_on_submit():
        if commit_unless_refused(form, lambda: services.change_stage(current_user, subject, form.stage.data,
                                                                     form.note.data)):
            flash(_("ステップアップ段階を「%(stage)s」にしました。", stage=stage_label(subject.stage)),
                  "success")
            return subject_page(subject) if is_htmx() else redirect_to(page_url(subject))
    return subject_page(subject, stage_form=form, status=422)


@bp.route("/people/<int:user_id>/consultations", methods=["POST"])
@roles_required(*COORDINATORS)
def person_consultation_add(user_id: int):
    """相談記録の追加 (個人)."""
    return _add(person_or_404(user_id))


@bp.route("/groups/<int:group_id>/consultations", methods=["POST"])
@roles_required(*COORDINATORS)
def group_consultation_add(group_id: int):
    """相談記録の追加 (団体)."""
    return _add(group_or_404(group_id))


@bp.route("/people/<int:user_id>/stage", methods=["POST"])
@roles_required(*COORDINATORS)
def person_stage(user_id: int):
    """ステップアップ段階の変更 (個人)."""
    return _change_stage(person_or_404(user_id))


@bp.route("/groups/<int:group_id>/stage", methods=["POST"])
@roles_required(*COORDINATORS)
def group_stage(group_id: int):
    """ステップアップ段階の変更 (団体)."""
    return _change_stage(group_or_404(group_id))


@bp.route("/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
@roles_required(*COORDINATORS)
def consultation_edit(consultation_id: int):
    """相談記録の修正: only its author or an administrator (others 403)."""
    record = db.session.get(Consultation, consultation_id) or abort(404)
    subject = services.subject_of(record) or abort(404)
    if not services.can_edit_consultation(current_user, record):
        raise NotAllowed()
    form = ConsultationForm(obj=record)
    if form.validate_on_submit():
        if commit_unless_refused(form, lambda: services.edit_consultation(current_user, record,
                                                                          **_record_values(form))):
            flash(_("相談記録を保存しました。"), "success")
            return redirect_to(page_url(subject) + f"#consultation-{record.id}")
    return render("coordination/consultation_edit.html", block="form", form=form, record=record, subject=subject,
                  back_url=page_url(subject), status=422 if request.method == "POST" else 200)

