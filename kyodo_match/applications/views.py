"""応募: applying from a project's page, one application's page (timeline, steps, messages, contacts), my applications.

Routes carry their full paths (/applications/…, /issues/<id>/apply): the blueprint has no url_prefix.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import audit, labels
from ..access import roles_required, signed_in
from ..errors import Conflict, RuleViolation, commit_unless_refused
from ..extensions import db
from ..htmx import is_htmx, redirect_to, render
from ..i18n import today_jst
from ..models import Application, Role
from ..pagination import page_arg
from ..projects import services as projects
from ..projects.lifecycle import department_contacts
from . import flow, notices, reading, services
from .forms import ApplyForm, MessageForm, StepForm

bp = Blueprint("applications", __name__)

APPLICANTS = (Role.VOLUNTEER, Role.GROUP_REP)
NOT_AN_APPLICANT = _l("応募できるのは、人材バンクに登録したボランティアと、確認済みの団体の代表者です。")


def slot_label(code: str) -> str:
    day, _sep, part = code.partition("_")
    return f"{labels.WEEKDAY_LABELS.get(day, day)} {labels.DAYPART_LABELS.get(part, part)}"


def _me():
    return current_user._get_current_object()


def _visible(app_id: int) -> Application:
    """The application, for those on it (applicant side, department, centre); 404 for everyone else."""
    app = reading.load_application(app_id)
    if app is None or not flow.can_see(current_user, app):
        abort(404)
    return app


def _contacts(app: Application, user) -> dict | None:
    """Each side's contact data for the other, once confirmed (確定); None before. Staff views are audited."""
    if not flow.can_see_contacts(user, app):
        return None
    found: dict = {}
    if flow.is_applicant(user, app):
        found["department"] = app.project.department.name
        found["people"] = [(u.display_name, u.email) for u in department_contacts(app.project)]
    if flow.is_department(user, app):
        if app.group is not None:
            g = app.group
            found["applicant"] = {"name": g.name, "email": g.contact_email, "phone": g.contact_phone}
            audit.record_after_read("group_private_viewed", actor=user, target=f"group:{g.id}",
                                    via=f"application:{app.id}")
        elif (profile := reading.contact_profile(app)) is not None:
            found["applicant"] = {"name": profile.real_name, "email": profile.contact_email, "phone": profile.phone}
            audit.record_after_read("personal_data_viewed", actor=user, target=f"volunteer:{profile.user_id}",
                                    via=f"application:{app.id}")
    return found


def _page(app: Application, status: int = 200, block: str = "content", **extra):
    user = _me()
    extra.setdefault("message_form", MessageForm(formdata=None))
    if not is_htmx() or block in ("content", "thread"):  # a step's fragment (block "application") has no thread
        extra.setdefault("thread", reading.thread(app.id, whole=request.args.get("messages") == "all"))
    return render("applications/show.html", block=block, status=status, app=app, contacts=_contacts(app, user),
                  steps=flow.available_steps(app, user), **extra)


def _row(app: Application, status: int = 200, **extra):
    """The row partial (the centre's queue, the department's list, わたしの応募), with flash messages out of band."""
    from flask import get_flashed_messages

    body = render_template("applications/_row.html", app=app, **extra)
    if messages := get_flashed_messages(with_categories=True):
        body += render_template("macros/flash_oob.html", messages=messages)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


@bp.route("/issues/<int:project_id>/apply", methods=["GET", "POST"])
@roles_required(*APPLICANTS, refusal=NOT_AN_APPLICANT)
def apply(project_id: int):
    """応募する: htmx swaps #apply-form (422 beside the field); twice is 409; success goes to the application."""
    project = projects.load_project(project_id)
    if project is None or not projects.can_see(current_user, project):
        abort(404)
    user, today = _me(), today_jst()
    options = reading.apply_options(project, user, today)
    form = ApplyForm().setup(options, project, slot_label)
    created: list[Application] = []
    if form.validate_on_submit() and commit_unless_refused(
            form, lambda: created.append(services.apply_to_project(project, user, form.values(), today=today))):
        flash(_("応募しました。市民活動センターが確認します。状況はこのページでお知らせします。"), "success")
        return redirect_to(url_for("applications.show", app_id=created[0].id))
    return render("applications/apply.html", block="form", status=422 if request.method == "POST" else 200,
                  project=project, options=options, form=form, slot_label=slot_label)


@bp.route("/applications/mine")
@roles_required(*APPLICANTS, refusal=NOT_AN_APPLICANT)
def mine():
    """わたしの応募: my and my groups' applications and invitations by state, and my activity history (活動履歴).

    招待 / 進行中 / 確定・活動中 are shown whole; 「終わったもの」 (``?ended_page=``) and the history table
    (``?history_page=``) are paginated, each pager keeping the other's page in its links. An htmx request from a
    pager gets that section only (block ``ended`` or ``history``, chosen by its ``HX-Target``: the section's id),
    with the other section's pager out of band so that its links carry the new page too; any other request, htmx
    or not, gets the whole page.
    """
    user = _me()
    block = MINE_BLOCKS.get(request.headers.get("HX-Target", "")) if is_htmx() else None
    ended = reading.ended_applications(user, page_arg("ended_page"))
    history = reading.activity_history(user, page_arg("history_page"))
    context = {"ended": ended, "history": history, "ended_heading": reading.ENDED[1],
               "ended_args": {"history_page": history.records.page} if history.records.page > 1 else {},
               "history_args": {"ended_page": ended.page} if ended.page > 1 else {}}
    if block is not None:
        response = render("applications/mine.html", block=block, oob=True, **context)
    else:
        response = make_response(render_template("applications/mine.html", sections=reading.ACTIVE_SECTIONS,
                                                 mine=reading.my_applications(user), oob=False, **context))
        response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    return response


# わたしの応募's paginated sections: the id of the section's root (what its pager targets) → the block to render.
MINE_BLOCKS = {"mine-ended": "ended", "mine-history": "history"}


@bp.route("/applications/<int:app_id>")
@signed_in
def show(app_id: int):
    """One application: status, timeline, steps, messages and, once confirmed, both sides' contacts.

    The thread shows its latest messages; ``?messages=all`` shows every one (htmx swaps the thread alone)."""
    thread_only = is_htmx() and request.headers.get("HX-Target") == f"application-{app_id}-thread"
    return _page(_visible(app_id), block="thread" if thread_only else "content")


@bp.route("/applications/<int:app_id>/step", methods=["POST"])
@signed_in
def step(app_id: int):
    """Take one step (form fields ``target`` and, when the step needs it, ``reason``), for every page that shows
    step buttons (templates/applications/_steps.html).

    The response depends on the request's ``HX-Target`` header:
    - ``application-row-<id>`` (a row of the queue, the applicant list or わたしの応募): the row partial
      templates/applications/_row.html (its root has that id; swap it outerHTML);
    - otherwise, for htmx: block ``application`` of applications/show.html (root ``#application-<id>``);
    - without htmx: 303 to the application's page on success, the whole page on a refusal.
    A successful step also sends ``HX-Trigger: applications-changed``: a list that groups applications by state
    (the applicant list) listens for it and reloads, so the card moves to its new section.
    Status: 200 done · 422 refused by a rule (the message beside the reason field of that step) · 409 an illegal
    step or a state changed meanwhile (the error fragment) · 403 not this user's step · 404 not theirs to see.
    """
    app = _visible(app_id)
    form = StepForm()
    row = request.headers.get("HX-Target") == f"application-row-{app_id}"
    refusal = None
    if not form.validate_on_submit():
        if not form.target.data:
            raise Conflict(_("操作を選んでください。"))
        refusal = (form.reason.errors or [_("入力内容を確認してください。")])[0]
    else:
        try:
            flow.move(app, form.target.data, _me(), reason=form.reason.data or "")
        except Conflict:
            db.session.rollback()
            raise
        except RuleViolation as e:
            db.session.rollback()
            refusal = e.message
    if refusal is None:
        db.session.commit()
        flash(_("「%(status)s」にしました。", status=flow.STATUS_LABELS.get(app.status, app.status)), "success")
        if not is_htmx():
            return redirect_to(url_for("applications.show", app_id=app_id))
    status, extra = (422, {"step_error": refusal, "step_error_target": form.target.data}) if refusal else (200, {})
    app = reading.load_application(app_id)
    response = _row(app, status, **extra) if row else _page(app, status=status, block="application", **extra)
    if refusal is None:
        response.headers["HX-Trigger"] = CHANGED  # lists that group applications by state reload themselves
    return response


CHANGED = "applications-changed"  # HX-Trigger event after a successful step


@bp.route("/applications/<int:app_id>/messages", methods=["POST"])
@signed_in
def post_message(app_id: int):
    """A message in the thread: htmx re-renders block ``thread`` (#application-<id>-thread), 422 beside the box."""
    app = _visible(app_id)
    form = MessageForm()
    if form.validate_on_submit() and commit_unless_refused(
            form, lambda: services.post_message(app, _me(), form.body.data or "")):
        if not is_htmx():
            return redirect_to(url_for("applications.show", app_id=app_id) + "#messages")
        return _page(reading.load_application(app_id), block="thread")
    return _page(reading.load_application(app_id), status=422, block="thread", message_form=form)


@bp.app_context_processor
def _application_globals() -> dict:
    """For the templates of every domain that show applications: labels, a row's steps, the apply panel."""

    def apply_panel(project):
        user = _me()
        if not user.is_authenticated or not user.has_role(*APPLICANTS):
            return None
        return reading.apply_options(project, user, today_jst())

    return {"application_labels": flow.STATUS_LABELS, "applicant_name": notices.applicant_name,
            "application_steps": lambda app: flow.available_steps(app, _me()), "apply_panel": apply_panel,
            "application_applicant_ids": lambda app: {u.id for u in notices.applicant_users(app)}}
