"""評価・成果・改善・成果の公表: the evaluation sheets side by side, the outcome report with its files, the results."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import permitted, public, roles_required, signed_in
from ..errors import Conflict, NotAllowed, commit_unless_refused
from ..extensions import db
from ..htmx import redirect_to, render
from ..models import ProjectStatus
from ..pagination import page_arg
from . import evaluation, lifecycle, outcome, services
from .evaluation_forms import FileDeleteForm, FileForm, FilePublicForm, OutcomeForm, sheet_form_class
from .views import MANAGERS, bp

RECORDED = (ProjectStatus.EVALUATING, ProjectStatus.CLOSED)


def _project(project_id: int, may_see) -> object:
    """The project: 404 when missing or unpublished to this user, 403 unless ``may_see(user, project)``."""
    project = services.load_project(project_id)
    if project is not None and not services.can_see(current_user, project):
        project = None  # a draft is not there for those who may not see it
    return permitted(project, may_see)


def _upload_root() -> Path:
    return Path(current_app.config["KYODO_UPLOAD_DIR"])


def _actor():
    return current_user._get_current_object()


@bp.route("/<int:project_id>/evaluation")
@signed_in
def evaluation_overview(project_id: int):
    """評価シート: both sides' answers side by side, differences marked, and who has finished."""
    project = _project(project_id, evaluation.can_view)
    if project.status not in RECORDED:
        raise Conflict(_("評価シートは「評価中」の事業にだけ記入できます。"))
    return render("projects/evaluation.html", block="comparison", project=project, side=None,
                  result=evaluation.comparison(project), sides=evaluation.SIDES, answers=evaluation.ANSWERS,
                  can_answer={s: evaluation.can_answer(current_user, project, s) for s in evaluation.SIDES})


@bp.route("/<int:project_id>/evaluation/<side>", methods=["GET", "POST"])
@signed_in
def evaluation_sheet(project_id: int, side: str):
    """One side's sheet (25 items): answered by that side in 評価; shown read-only to the other viewers."""
    if side not in evaluation.SIDES:
        abort(404)
    project = _project(project_id, evaluation.can_view)
    editable = evaluation.can_answer(current_user, project, side)
    if request.method == "POST" and not editable:
        raise NotAllowed()
    evaluation.require_evaluating(project)
    form_class = sheet_form_class()
    # On POST only what was sent counts: a saved answer must not stand in for an item left unanswered.
    form = form_class() if request.method == "POST" else form_class(
        data=form_class.data_from(evaluation.answers(project)[side]))
    if editable and form.validate_on_submit():
        evaluation.submit_sheet(project, side, _actor(), form.submitted(),
                                link=url_for("projects.evaluation_overview", project_id=project.id))
        db.session.commit()
        flash(_("%(side)sの評価シートを保存しました。", side=evaluation.SIDES[side]), "success")
        return redirect_to(url_for("projects.evaluation_overview", project_id=project.id))
    return render("projects/evaluation.html", block="sheet", status=422 if request.method == "POST" else 200,
                  project=project, side=side, form=form, editable=editable, stages=evaluation.stages(),
                  sides=evaluation.SIDES)


def _outcome_page(project, status: int = 200, block: str = "content", report=None, file_form=None):
    editable = project.status == ProjectStatus.EVALUATING and lifecycle.can_manage(current_user, project)
    report = report or OutcomeForm(data={"outcome_achieved": project.outcome_achieved,
                                         "outcome_figures": project.outcome_figures,
                                         "improvement_notes": project.improvement_notes})
    return render("projects/outcome.html", block=block, status=status, project=project, editable=editable,
                  can_manage=lifecycle.can_manage(current_user, project), report=report,
                  file_form=file_form or FileForm(formdata=None), action_form=FileDeleteForm(formdata=None))


@bp.route("/<int:project_id>/outcome", methods=["GET", "POST"])
@signed_in
def outcome_report(project_id: int):
    """成果の報告と改善: written by the department in 評価 (the partner reads it), public once closed."""
    project = _project(project_id, outcome.can_view_report)
    if project.status not in RECORDED:
        raise Conflict(_("成果の報告は「評価中」の事業にだけ記入できます。"))
    if request.method == "POST" and not lifecycle.can_manage(current_user, project):
        raise NotAllowed()
    form = OutcomeForm()
    if request.method == "POST" and form.validate_on_submit():
        outcome.save_outcome(project, _actor(), achieved=form.outcome_achieved.data,
                             figures=form.outcome_figures.data, improvement=form.improvement_notes.data)
        db.session.commit()
        flash(_("成果の報告を保存しました。"), "success")
        return redirect_to(url_for("projects.outcome_report", project_id=project.id))
    if request.method == "POST":
        return _outcome_page(project, 422, "report", report=form)
    return _outcome_page(project)


@bp.route("/<int:project_id>/files", methods=["POST"])
@roles_required(*MANAGERS)
def upload_file(project_id: int):
    """Attach a PDF, JPEG or PNG (≤ 5 MB, checked by content; images stripped of metadata) to the report."""
    project = _project(project_id, lifecycle.can_manage)
    form = FileForm()
    if form.validate_on_submit() and commit_unless_refused(form, lambda: outcome.add_file(
            project, _actor(), form.file.data.stream, form.file.data.filename, public=form.public.data,
            root=_upload_root())):
        flash(_("ファイルを登録しました。"), "success")
        return redirect_to(url_for("projects.outcome_report", project_id=project.id))
    return _outcome_page(project, 422, "files", file_form=form)


def _own_file(project, file_id: int):
    file = outcome.load_file(project.id, file_id)
    if file is None:
        abort(404)
    return file


@bp.route("/<int:project_id>/files/<int:file_id>/delete", methods=["POST"])
@roles_required(*MANAGERS)
def delete_file(project_id: int, file_id: int):
    """Remove a file from the report (only in 評価); its bytes are deleted once the row is gone."""
    project = _project(project_id, lifecycle.can_manage)
    file = _own_file(project, file_id)
    if not FileDeleteForm().validate_on_submit():
        raise Conflict(_("ページを読み込み直してください。"))
    name, path = file.original_name, outcome.stored_path(_upload_root(), file)
    outcome.delete_file(project, _actor(), file)
    db.session.commit()
    path.unlink(missing_ok=True)  # the bytes go only once the row's deletion is committed
    flash(_("ファイル「%(name)s」を削除しました。", name=name), "success")
    return redirect_to(url_for("projects.outcome_report", project_id=project.id))


@bp.route("/<int:project_id>/files/<int:file_id>/public", methods=["POST"])
@roles_required(*MANAGERS)
def file_visibility(project_id: int, file_id: int):
    """Publish a file with the results, or withdraw it (also after 完了)."""
    project = _project(project_id, lifecycle.can_manage)
    file = _own_file(project, file_id)
    form = FilePublicForm()
    if not form.validate_on_submit():
        raise Conflict(_("ページを読み込み直してください。"))
    outcome.set_file_public(project, _actor(), file, form.public.data == "1")
    db.session.commit()
    message = _("「%(name)s」を公開にしました。", name=file.original_name) if file.public \
        else _("「%(name)s」を非公開にしました。", name=file.original_name)
    flash(message, "success")
    return redirect_to(url_for("projects.outcome_report", project_id=project.id))


@bp.route("/<int:project_id>/files/<int:file_id>")
@public
def download_file(project_id: int, file_id: int):
    """A report file: public files of closed projects to anyone, every file to managers and partners."""
    file = outcome.load_file(project_id, file_id)
    if file is None or not outcome.can_download(current_user, file):
        abort(404)  # a private file is not there at all for those who may not see it
    path = outcome.stored_path(_upload_root(), file)
    if not path.is_file():
        current_app.logger.error("project file %s is missing on disk", file.id)
        abort(404)
    response = send_file(path, mimetype=file.content_type, as_attachment=file.content_type == outcome.PDF,
                         download_name=file.original_name, conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache" if file.public else "private, no-store"
    return response


@bp.route("/results")
@public
def results():
    """成果の公表: every completed project with what it achieved, newest first; htmx swaps #project-results."""
    return render("projects/results.html", block="results", result=outcome.public_results(page_arg()))


@bp.context_processor
def _evaluation_helpers() -> dict:
    return {"evaluation_progress": evaluation.progress, "evaluation_total": len(evaluation.sheet()),
            "evaluation_sides": evaluation.SIDES}
