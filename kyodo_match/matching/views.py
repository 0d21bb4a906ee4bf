"""おすすめ (the matcher on the web): the panel on an issue, its JSON API, 「合っていない」 marks, and
あなたにおすすめの事業 for volunteers and groups."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import audit
from ..access import permitted, roles_required
from ..errors import FieldRefused
from ..extensions import db
from ..groups.services import can_edit_group
from ..htmx import redirect_to, render
from ..i18n import today_jst
from ..models import CivicGroup, GroupStatus, Role, SuggestionFeedback
from ..projects.services import load_project
from ..volunteers.services import load_profile
from . import feedback
from .forms import FeedbackForm

bp = Blueprint("matching", __name__)

MANAGERS = (Role.STAFF, Role.COORDINATOR, Role.ADMIN)
PANEL_LIMIT = 10
API_DEFAULT_LIMIT = 10
RECOMMENDATIONS = 5
_LIMIT = re.compile(r"-?[0-9]{1,9}")


def _me():
    return current_user._get_current_object()


def _project(project_id: int):
    """The project, if the current user manages it: 404 when missing, 403 for another department."""
    return permitted(load_project(project_id), feedback.can_see_suggestions)


def _panel(project, status: int = 200, **extra):
    suggestions = feedback.suggestions_for(project, limit=PANEL_LIMIT, today=today_jst())
    rows = feedback.feedback_rows(project)
    response = render("matching/panel.html", block="panel", status=status, project=project,
                      suggestions=suggestions, feedback_rows=rows, feedback_names=feedback.feedback_names(rows),
                      can_undo=feedback.can_undo(current_user), reasons=feedback.REASONS,
                      kind_labels=feedback.KIND_LABELS, panel_open=feedback.panel_open(project), **extra)
    if suggestions:  # staff saw who is free when (shared time slots): logged like other views of personal data
        audit.record_after_read("suggestions_viewed", actor=_me(), target=f"project:{project.id}",
                                shown=len(suggestions))
    return response


@bp.route("/issues/<int:project_id>/suggestions")
@roles_required(*MANAGERS)
def panel(project_id: int):
    """おすすめの人・団体: the panel (an htmx fragment on the project page, or a page of its own)."""
    return _panel(_project(project_id))


@bp.route("/issues/<int:project_id>/suggestions/feedback", methods=["POST"])
@roles_required(*MANAGERS)
def mark_wrong(project_id: int):
    """「この提案は合っていない」: stored with its reason; the panel comes back without that candidate (409 twice)."""
    project = _project(project_id)
    form = FeedbackForm()
    kind, candidate_id = form.kind.data, form.candidate_id.data
    try:
        if not form.validate_on_submit():
            message = form.reason.errors[0] if form.reason.errors else _("送信内容を確認してください。")
            raise FieldRefused("reason", str(message))
        row = feedback.mark_wrong(project, kind, candidate_id, form.reason.data, _me())
    except FieldRefused as e:
        db.session.rollback()
        return _panel(project, status=422, refused=(kind, candidate_id), refusal=e.message)
    name = feedback.feedback_names([row])[row.id]
    db.session.commit()
    done = _("「%(name)s」を提案から外しました。", name=name) if name else _("提案から外しました。")
    if request.headers.get("HX-Request") == "true":
        return _panel(project, done=done)
    flash(done, "success")
    return redirect_to(url_for("matching.panel", project_id=project.id))


@bp.route("/issues/<int:project_id>/suggestions/feedback/<int:feedback_id>/undo", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def undo(project_id: int, feedback_id: int):
    """Take back a 「合っていない」 mark (the centre): the candidate may be suggested again."""
    project = _project(project_id)
    row = db.session.scalar(select(SuggestionFeedback).where(SuggestionFeedback.id == feedback_id,
                                                             SuggestionFeedback.project_id == project.id))
    if row is None:
        abort(404)
    feedback.undo(row)
    db.session.commit()
    flash(_("「合っていない」の印を取り消しました。"), "success")
    return redirect_to(url_for("matching.panel", project_id=project.id))


@bp.route("/api/issues/<int:project_id>/suggestions")
@roles_required(*MANAGERS)
def api_suggestions(project_id: int):
    """The panel's suggestions as JSON (``limit`` 1–50): public names, scores and the Japanese reasons."""
    project = _project(project_id)
    raw = request.args.get("limit", str(API_DEFAULT_LIMIT)).strip()
    if not _LIMIT.fullmatch(raw):
        response = jsonify(error=_("limit には 1〜%(max)d の整数を指定してください。", max=feedback.MAX_LIMIT))
        response.status_code = 400
        return response
    limit = max(1, min(int(raw), feedback.MAX_LIMIT))
    suggestions = feedback.suggestions_for(project, limit=limit, today=today_jst())
    response = jsonify(issue=project.id, suggestions=[
        {"kind": s.kind, "id": s.id, "name": s.name, "score": s.score, "reasons": list(s.reasons)}
        for s in suggestions])
    if suggestions:
        audit.record_after_read("suggestions_viewed", actor=_me(), target=f"project:{project.id}",
                                shown=len(suggestions), via="api")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/volunteers/me/suggestions")
@roles_required(Role.VOLUNTEER)
def for_volunteer():
    """あなたにおすすめの事業: recruiting projects for my registration (a renewal hint once it has lapsed)."""
    profile = load_profile(_me().id)
    today = today_jst()
    valid = feedback.registration_valid(profile, today)
    items = feedback.recommendations_for(profile, limit=RECOMMENDATIONS, today=today) if valid else []
    return render("matching/recommendations.html", block="recommendations", items=items, who="volunteer",
                  profile=profile, valid=valid, target_id="recommendations-volunteer")


@bp.route("/groups/<int:group_id>/suggestions")
@roles_required(Role.GROUP_REP, Role.COORDINATOR, Role.ADMIN)
def for_group(group_id: int):
    """あなたにおすすめの事業 for a group I represent (only once the centre has verified it)."""
    group = permitted(db.session.get(CivicGroup, group_id), can_edit_group)
    valid = group.status == GroupStatus.VERIFIED.value
    items = feedback.recommendations_for(group, limit=RECOMMENDATIONS) if valid else []
    return render("matching/recommendations.html", block="recommendations", items=items, who="group",
                  group=group, valid=valid, target_id=f"recommendations-group-{group.id}")
