"""協働のパートナーの選定 and 協定: the partners page with its candidate search, the agreement sheet, my projects."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import permitted, roles_required, signed_in
from ..errors import Conflict, NotAllowed, RuleViolation
from ..extensions import db
from ..htmx import redirect_to, render
from ..models import Project, Role
from . import agreement as agreements
from . import lifecycle, partners
from .partner_forms import ConfirmAgreementForm, RemovePartnerForm, SelectPartnerForm
from .views import MANAGERS, bp


def _managed(project_id: int) -> Project:
    """The project with its partners, if the current user manages it: 404 when missing, 403 otherwise."""
    return permitted(partners.load_partners(project_id), lifecycle.can_manage)


def _partners_page(project: Project, q: str = "", status: int = 200, block: str = "content", **extra):
    selecting = partners.can_select_partners(current_user, project)
    found = partners.candidates(project, q) if selecting else partners.Candidates([], [])
    return render("projects/partners.html", block=block, status=status, project=project, q=q,
                  selecting=selecting, found=found, partner_name=partners.partner_name, **extra)


def _refused(project_id: int, q: str, **extra):
    """Re-render the partners page with the refusal (422) after rolling back the attempt."""
    db.session.rollback()
    return _partners_page(_managed(project_id), q=q, status=422, **extra)


@bp.route("/<int:project_id>/partners")
@roles_required(*MANAGERS)
def partners_page(project_id: int):
    """協働のパートナー: who was chosen and why; in 選定, search candidates (htmx swaps #partner-candidates)."""
    q = request.args.get("q", "")[:100].strip()
    return _partners_page(_managed(project_id), q=q, block="candidates")


@bp.route("/<int:project_id>/partners", methods=["POST"])
@roles_required(*MANAGERS)
def select_partner(project_id: int):
    """パートナーに選ぶ: a verified group or a registered volunteer, with the published reason."""
    project = _managed(project_id)
    form = SelectPartnerForm()
    q = (form.q.data or "")[:100]
    picked = (form.group_id.data, form.volunteer_user_id.data)
    if not form.validate_on_submit():
        return _refused(project_id, q, picked=picked, form=form, refusal=form.reason.errors[0])
    try:
        partner = partners.select_partner(project, current_user._get_current_object(), group_id=form.group_id.data,
                                          volunteer_user_id=form.volunteer_user_id.data, reason=form.reason.data)
    except Conflict:
        db.session.rollback()
        raise
    except RuleViolation as e:
        return _refused(project_id, q, picked=picked, form=form, refusal=e.message)
    name = partners.partner_name(partner)
    db.session.commit()
    flash(_("「%(name)s」をパートナーに選びました。", name=name), "success")
    return redirect_to(url_for("projects.partners_page", project_id=project_id))


@bp.route("/<int:project_id>/partners/<int:partner_id>/remove", methods=["POST"])
@roles_required(*MANAGERS)
def remove_partner(project_id: int, partner_id: int):
    """選定を取り消す (選定中だけ), with a reason."""
    project = _managed(project_id)
    form = RemovePartnerForm()
    if not form.validate_on_submit():
        return _refused(project_id, "", removing=partner_id, remove_refusal=form.reason.errors[0])
    try:
        partners.remove_partner(project, current_user._get_current_object(), partner_id, form.reason.data)
    except Conflict:
        db.session.rollback()
        raise
    except RuleViolation as e:
        return _refused(project_id, "", removing=partner_id, remove_refusal=e.message)
    db.session.commit()
    flash(_("パートナーの選定を取り消しました。"), "success")
    return redirect_to(url_for("projects.partners_page", project_id=project_id))


def _agreement_project(project_id: int) -> Project:
    return permitted(partners.load_partners(project_id), agreements.can_see_agreement)


@bp.route("/<int:project_id>/agreement")
@signed_in
def agreement(project_id: int):
    """協定書: role split, period and budget, and who confirmed on each side (managers and partners)."""
    project = _agreement_project(project_id)
    return render("projects/agreement.html", project=project, partner_name=partners.partner_name,
                  confirmers=agreements.confirmers(project),
                  can_confirm={side: agreements.can_confirm(current_user, project, side) for side in agreements.SIDES})


@bp.route("/<int:project_id>/agreement/confirm", methods=["POST"])
@signed_in
def confirm_agreement(project_id: int):
    """この内容で協定を確認する: the city side (managers) or the partner side (a partner)."""
    project = _agreement_project(project_id)
    form = ConfirmAgreementForm()
    if not form.validate_on_submit():
        raise RuleViolation(_("確認する側を選んでください。"))
    try:
        agreements.confirm_agreement(project, current_user._get_current_object(), form.side.data)
    except (NotAllowed, RuleViolation):
        db.session.rollback()
        raise
    db.session.commit()
    flash(_("協定の内容を確認しました。"), "success")
    return redirect_to(url_for("projects.agreement", project_id=project_id))


@bp.route("/partnered")
@roles_required(Role.VOLUNTEER, Role.GROUP_REP)
def partnered():
    """わたしの協働事業: projects where I, or a group I represent, was chosen as a partner."""
    return render("projects/partnered.html", projects=partners.partnered_projects(current_user))
