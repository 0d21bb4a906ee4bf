"""団体の確認: the coordinators' verification queue and every change of a group's registration status."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import roles_required
from ..errors import commit_unless_refused
from ..extensions import db
from ..htmx import is_htmx, redirect_to, render
from ..labels import GROUP_STATUS_LABELS, group_status_label
from ..models import CivicGroup, GroupStatus, Role
from ..pagination import page_arg
from . import services
from .forms import StatusForm
from .views import bp, load_group

PER_PAGE = 20
STAFF = (Role.COORDINATOR, Role.ADMIN)


def _row(group, form=None, status=200):
    return render("groups/status.html", block="row", status=status, group=group, form=form,
                  transitions=services.transitions_from)


@bp.route("/queue")
@roles_required(*STAFF)
def queue():
    """確認待ちの団体 (oldest first); the other statuses to find paused or stopped groups."""
    status = request.args.get("status", GroupStatus.PENDING.value)
    if status not in GROUP_STATUS_LABELS:
        status = GroupStatus.PENDING.value
    order = (CivicGroup.created_at, CivicGroup.id) if status == GroupStatus.PENDING.value else (
        CivicGroup.updated_at.desc(), CivicGroup.id.desc())
    pagination = db.paginate(select(CivicGroup).where(CivicGroup.status == status).order_by(*order),
                             page=page_arg(), per_page=PER_PAGE, error_out=False)
    return render("groups/queue.html", block="content", pagination=pagination, status=200, current=status,
                  transitions=services.transitions_from, form=None)


@bp.route("/<int:group_id>/status", methods=["POST"])
@roles_required(*STAFF)
def change_status(group_id: int):
    """登録状況の変更: one row of the queue, swapped in place (409 for a change the rules do not allow)."""
    group = load_group(group_id)
    form = StatusForm()
    if form.validate_on_submit():
        if commit_unless_refused(form, lambda: services.change_status(
                group, form.target.data, current_user._get_current_object(), form.reason.data)):
            flash(_("「%(name)s」を「%(status)s」にしました。", name=group.name,
                    status=group_status_label(group.status)), "success")
            return _row(group) if is_htmx() else redirect_to(url_for("groups.queue", status=group.status))
    return _row(group, form=form, status=422)
