"""Civic groups: register a group, my groups, edit a group's profile, a group's public page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..access import public, roles_required
from ..errors import NotAllowed, commit_unless_refused
from ..extensions import db
from ..htmx import redirect_to, render
from ..models import CivicGroup, GroupRepresentative, Role
from . import services
from .forms import GroupForm

bp = Blueprint("groups", __name__)

EDITORS = (Role.GROUP_REP, Role.COORDINATOR, Role.ADMIN)


# Shown with the 403 of registering a group or opening わたしの団体 without the role.
NOT_A_REPRESENTATIVE = _l("団体を登録できるのは「団体の代表者」として登録した方です。団体の代表者として新規登録するか、"
                          "関市市民活動センターにご相談ください。すでに登録されている団体には、その代表者からの招待メールで"
                          "代表者として加わることができます。")


def load_group(group_id: int) -> CivicGroup:
    group = db.session.scalar(select(CivicGroup).where(CivicGroup.id == group_id).options(
        selectinload(CivicGroup.fields), selectinload(CivicGroup.districts), selectinload(CivicGroup.skills)))
    if group is None:
        abort(404)
    return group


def editable_group(group_id: int) -> CivicGroup:
    """The group, if the current user may edit it (403 otherwise; 404 when missing)."""
    group = load_group(group_id)
    if not services.can_edit_group(current_user, group):
        raise NotAllowed()
    return group


def _status() -> int:
    return 422 if request.method == "POST" else 200


def _save(form: GroupForm, save):
    """Run ``save()``; a value the rules refuse goes beside its field. True when saved and committed."""
    return form.validate_on_submit() and commit_unless_refused(form, save)


@bp.route("/mine")
@roles_required(Role.GROUP_REP, refusal=NOT_A_REPRESENTATIVE)
def mine():
    """わたしの団体: the groups I represent, with their registration status."""
    groups = db.session.scalars(
        select(CivicGroup).join(GroupRepresentative, GroupRepresentative.group_id == CivicGroup.id)
        .where(GroupRepresentative.user_id == current_user.id).order_by(CivicGroup.name_kana, CivicGroup.id)).all()
    return render("groups/mine.html", groups=groups)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS, refusal=NOT_A_REPRESENTATIVE)
def new():
    """団体の登録: starts 申請中 until a coordinator confirms it."""
    form = GroupForm()
    choices = form.set_choices(services.profile_choices())
    group = None

    def save():
        nonlocal group
        group = services.register_group(current_user._get_current_object(), form.values())

    if _save(form, save):
        flash(_("団体を登録しました。市民活動センターが内容を確認するまで、一覧には表示されません。"), "success")
        if current_user.has_role(Role.GROUP_REP):
            return redirect_to(url_for("groups.mine"))
        return redirect_to(url_for("groups.representatives", group_id=group.id))  # on behalf: invite someone
    return render("groups/form.html", block="form", form=form, group=None, choices=choices, status=_status())


@bp.route("/<int:group_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(group_id: int):
    """団体の情報の変更 (its representatives, coordinators and administrators)."""
    group = editable_group(group_id)
    if request.method == "GET" and not services.is_representative(current_user, group):
        # Coordinators reading a group's private contact data leave a trace (SECURITY: data protection).
        audit.record_now("group_private_viewed", actor=current_user, target=f"group:{group.id}")
    form = GroupForm(data=services.form_data(group))
    choices = form.set_choices(services.profile_choices())
    if _save(form, lambda: services.update_group(group, form.values())):
        flash(_("団体の情報を保存しました。"), "success")
        return redirect_to(url_for("groups.show", group_id=group.id))
    return render("groups/form.html", block="form", form=form, group=group, choices=choices, status=_status())


@bp.route("/<int:group_id>")
@public
def show(group_id: int):
    """団体の紹介ページ: public fields only; a group not yet verified is shown only to its own people."""
    group = load_group(group_id)
    if not services.can_see_group(current_user, group):
        abort(404)
    return render("groups/show.html", group=group, can_edit=services.can_edit_group(current_user, group))
