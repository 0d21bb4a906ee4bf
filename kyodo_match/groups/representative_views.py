"""A group's representatives: the list, inviting by e-mail, accepting an invitation, leaving the group."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import roles_required, signed_in
from ..errors import RuleViolation, commit_unless_refused
from ..extensions import db, limiter
from ..htmx import redirect_to, render
from ..models import Role
from . import services
from .forms import InviteForm
from .views import EDITORS, bp, editable_group, load_group


def _panel(group, form=None, status=200, leave_error=None):
    return render("groups/representatives.html", block="panel", status=status, group=group,
                  form=form or InviteForm(formdata=None), reps=services.representatives(group),
                  invitations=services.open_invitations(group), leave_error=leave_error,
                  me=current_user.id)


@bp.route("/<int:group_id>/representatives")
@roles_required(*EDITORS)
def representatives(group_id: int):
    """代表者: who represents the group, open invitations, invite another, leave."""
    return _panel(editable_group(group_id))


@bp.route("/<int:group_id>/representatives/invite", methods=["POST"])
@roles_required(*EDITORS)
@limiter.limit("30 per hour", methods=["POST"])
def invite(group_id: int):
    """代表者を招待する: an e-mail with a single-use link (14 days)."""
    group = editable_group(group_id)
    form = InviteForm()
    if form.validate_on_submit():
        if commit_unless_refused(form, lambda: services.invite_representative(
                group, form.email.data, current_user._get_current_object())):
            flash(_("%(email)s に招待メールを送りました。", email=form.email.data), "success")
            if request.headers.get("HX-Request") != "true":
                return redirect_to(url_for("groups.representatives", group_id=group.id))
            return _panel(group)
    return _panel(group, form=form, status=422)


@bp.route("/<int:group_id>/representatives/leave", methods=["POST"])
@roles_required(Role.GROUP_REP)
def leave(group_id: int):
    """この団体の代表者をやめる (not the last one)."""
    group = load_group(group_id)
    try:
        services.leave_group(group, current_user._get_current_object())
    except RuleViolation as e:
        if e.status != 422:
            raise
        db.session.rollback()
        return _panel(group, status=422, leave_error=e.message)
    db.session.commit()
    flash(_("「%(name)s」の代表者から外れました。", name=group.name), "success")
    return redirect_to(url_for("groups.mine"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@signed_in
def accept_invitation(token: str):
    """代表者への招待を受ける: the signed-in user becomes a representative (single use)."""
    invitation = services.find_invitation(token)  # unknown, used or expired → 404 with an explanation
    if request.method == "POST":
        group = services.accept_invitation(token, current_user._get_current_object())
        db.session.commit()
        flash(_("「%(name)s」の代表者になりました。", name=group.name), "success")
        return redirect_to(url_for("groups.mine"))
    return render("groups/accept.html", invitation=invitation, group=invitation.group)
