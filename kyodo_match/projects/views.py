"""地域課題・協働事業: the public list and page, the department workspace, the record form and lifecycle steps."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..access import permitted, public, roles_required
from ..errors import BadRequest, Conflict, RuleViolation, commit_unless_refused
from ..extensions import db
from ..htmx import redirect_to, render
from ..i18n import today_jst
from ..models import Department, Project, Role
from ..pagination import page_arg
from . import lifecycle, listing, services
from .forms import ProjectForm, TransitionForm, field_labels

bp = Blueprint("projects", __name__)

MANAGERS = (Role.STAFF, Role.COORDINATOR, Role.ADMIN)


def _status() -> int:
    return 422 if request.method == "POST" else 200


def _manageable(project_id: int) -> Project:
    """The project, if the current user manages it: 404 when missing, 403 for another department."""
    return permitted(services.load_project(project_id), lifecycle.can_manage)


def _detail(project: Project, status: int = 200, block: str = "content", **extra):
    manager = lifecycle.can_manage(current_user, project)
    return render("projects/show.html", block=block, status=status, project=project, can_manage=manager,
                  is_partner=lifecycle.is_partner(current_user, project),
                  moves=lifecycle.available_transitions(project, current_user),
                  field_labels=field_labels() if manager else {}, **extra)


@bp.route("/")
@public
def index():
    """地域課題・協働事業の一覧: search text, facets and sort in the URL; htmx swaps #issue-results."""
    filters = listing.list_filters(request.args)
    result = listing.public_list(filters, page_arg(), today=today_jst())
    return render("projects/index.html", block="results", f=filters, q=filters.q, result=result,
                  choices=services.choices(), listing=listing)


def _workspace_view() -> tuple[str | None, int]:
    """``?status=`` (one status's list, paginated with ``?page=``) or nothing (the whole board); another value
    is an edited address: 400 with what was wrong."""
    status = request.args.get("status", "")
    if not status:
        return None, 1
    if status not in services.WORKSPACE_ORDER:
        raise BadRequest(_("進み具合の指定が正しくありません。担当課の事業の一覧から選び直してください。"))
    return status, page_arg()


def _workspace(status: int = 200, **extra):
    user = current_user._get_current_object()
    view_status, page = _workspace_view()
    return render("projects/mine.html", block="workspace", status=status,
                  ws=services.workspace(user, view_status, page), all_departments=lifecycle.is_overseer(user),
                  moves_for=lambda p: _quick_moves(p, user), **extra)


def _quick_moves(project: Project, user):
    """The steps a workspace card offers as one-click buttons (those that need a reason stay on the page)."""
    return [(target, move) for target, move in lifecycle.available_transitions(project, user)
            if not move.needs_comment]


@bp.route("/mine")
@roles_required(*MANAGERS)
def mine():
    """担当課の事業: the department's projects by status (coordinators and administrators see all) — the newest
    cards of each status, or with ``?status=`` every project of that status, page by page."""
    return _workspace()


@bp.route("/mine/<int:project_id>/transition", methods=["POST"])
@roles_required(*MANAGERS)
def quick_transition(project_id: int):
    """A one-click step from the workspace: the workspace comes back with the card in its new place (htmx),
    or with the refused rules beside the card (422). The step's address carries the view it came from
    (``?status=&page=``), so a step on one status's list brings that list back."""
    project = _manageable(project_id)
    view_status, page = _workspace_view()
    form = TransitionForm()
    if not form.validate_on_submit():
        raise Conflict(_("操作を選んでください。"))
    try:
        lifecycle.transition(project, form.target.data, current_user._get_current_object(), today=today_jst())
    except RuleViolation as e:
        db.session.rollback()
        if isinstance(e, Conflict):
            raise
        return _workspace(status=422, refused_id=project_id, refusal=e.message, problems=e.linked_problems())
    db.session.commit()
    flash(_("「%(title)s」を「%(status)s」にしました。", title=project.title,
            status=lifecycle.STATUS_LABELS[project.status]), "success")
    if not request.headers.get("HX-Request"):
        view = {"status": view_status, "page": page if page > 1 else None} if view_status else {}
        return redirect_to(url_for("projects.mine", **view))
    return _workspace()


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new():
    """A new draft (検討中): saving never requires the publication rules."""
    form = ProjectForm()
    choices = form.set_choices(services.choices())
    if lifecycle.is_overseer(current_user):
        departments = db.session.scalars(select(Department).order_by(Department.id)).all()
        form.department_id.choices = [SelectChoice(d.id, d.name) for d in departments]
    else:
        del form.department_id
    project = None

    def save():
        nonlocal project
        dept_id = form.department_id.data if "department_id" in form else current_user.department_id
        project = services.create_project(dept_id, current_user._get_current_object(), form.values())

    if form.validate_on_submit() and commit_unless_refused(form, save):
        flash(_("下書きを保存しました。公開するには、ページ下の「公開して募集を始める」を押してください。"), "success")
        return redirect_to(url_for("projects.show", project_id=project.id))
    return render("projects/form.html", block="form", form=form, project=None, choices=choices, status=_status())


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(project_id: int):
    """Edit the record; after publication the changes are kept as a revision."""
    project = _manageable(project_id)
    form = ProjectForm(data=services.form_data(project))
    del form.department_id
    choices = form.set_choices(services.choices())
    if form.validate_on_submit() and commit_unless_refused(
            form, lambda: services.update_project(project, current_user._get_current_object(), form.values())):
        flash(_("保存しました。"), "success")
        return redirect_to(url_for("projects.show", project_id=project.id))
    return render("projects/form.html", block="form", form=form, project=project, choices=choices,
                  status=_status())


@bp.route("/<int:project_id>/transition", methods=["POST"])
@roles_required(*MANAGERS)
def transition(project_id: int):
    """Move the project one step along its lifecycle; refused rules are listed (422), illegal moves 409."""
    project = _manageable(project_id)
    form = TransitionForm()
    if not form.validate_on_submit():
        raise Conflict(_("操作を選んでください。"))
    try:
        lifecycle.transition(project, form.target.data, current_user._get_current_object(),
                             comment=form.comment.data or "", today=today_jst())
    except Conflict:
        db.session.rollback()
        raise
    except RuleViolation as e:
        db.session.rollback()
        project = services.load_project(project_id, history=True)
        return _detail(project, status=422, block="actions", refusal=e.message, problems=e.linked_problems())
    db.session.commit()
    flash(_("「%(status)s」にしました。", status=lifecycle.STATUS_LABELS[project.status]), "success")
    return redirect_to(url_for("projects.show", project_id=project.id))


@bp.route("/<int:project_id>")
@public
def show(project_id: int):
    """The project's page: public once published; a draft only to those who manage it."""
    project = services.load_project(project_id, history=True)
    if project is None or not services.can_see(current_user, project):
        abort(404)
    return _detail(project)


@bp.context_processor
def _project_labels() -> dict:
    return {"status_labels": lifecycle.STATUS_LABELS, "project_labels": services}
