"""1課1ボランティア: the list of activities, posting and editing one, its page with the sign-up button (htmx: the
seats left change without reload), cancelling, calling an activity off, and recording attendance."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..access import permitted, roles_required
from ..errors import Conflict, NotAllowed, commit_unless_refused
from ..extensions import db
from ..formfields import parse_hours
from ..htmx import is_htmx, redirect_to, render
from ..models import Role, StaffSignup
from ..notifications import department_staff
from ..pagination import page_arg
from . import activities, attendance, signups
from .forms import ActivityForm, CancelActivityForm
from .views import bp

CITY_STAFF = (Role.STAFF, Role.COORDINATOR, Role.ADMIN)
NOT_STAFF = _l("1課1ボランティアは市の職員の活動です。")
NO_DEPARTMENT = _l("所属する課が登録されていないため、活動を登録できません。管理者に連絡してください。")


def _me():
    return current_user._get_current_object()


@bp.context_processor
def _labels() -> dict:
    return {"audience_labels": activities.AUDIENCE_LABELS, "participation_labels": activities.PARTICIPATION_LABELS,
            "activity_status_labels": activities.STATUS_LABELS, "signup_status_labels": signups.STATUS_LABELS}


def _visible(activity_id: int):
    """The activity for those who may see it: 404 when missing, 403 for staff of another department (課内のみ)."""
    return permitted(activities.load(activity_id), activities.can_see)


@bp.route("/")
@roles_required(*CITY_STAFF, refusal=NOT_STAFF)
def index():
    """活動の一覧: this year's coming activities (or past ones), optionally only the own department's."""
    me = _me()
    scope = "past" if request.args.get("scope") == "past" else "upcoming"
    own = request.args.get("own") == "1" and activities.is_staff(me)
    result = activities.listing(me, scope=scope, department_id=me.department_id if own else None, page=page_arg())
    mine = {}
    if result.items:
        mine = {s.activity_id: s for s in db.session.scalars(select(StaffSignup).where(
            StaffSignup.user_id == me.id, StaffSignup.activity_id.in_([a.id for a in result.items])))}
    nothing_yet = activities.is_staff(me) and activities.department_year_count(me.department_id) == 0
    return render("staffvol/index.html", block="results", result=result, mine=mine, scope=scope, own=own,
                  can_post=activities.is_staff(me), can_see_overview=activities.can_see_overview(me),
                  nothing_yet=nothing_yet)


def _form_page(form, activity=None, status=200):
    return render("staffvol/form.html", block="form", form=form, activity=activity, status=status)


def _activity_form(activity=None) -> ActivityForm:
    form = ActivityForm.for_activity(activity) if activity is not None and request.method == "GET" \
        else ActivityForm()
    form.set_choices(*activities.link_choices())
    return form


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.STAFF, Role.ADMIN, refusal=NOT_STAFF)
def new():
    """活動の登録: staff post for their own department."""
    me = _me()
    if not me.department_id:  # say why on the page; a POST is refused
        if request.method == "POST":
            raise NotAllowed(NO_DEPARTMENT)
        return _form_page(None)
    form = _activity_form()
    created = None

    def save():
        nonlocal created
        created = activities.save_activity(me, None, form.values(), department_id=me.department_id)

    if form.validate_on_submit() and commit_unless_refused(form, save):
        flash(_("活動「%(title)s」を登録しました。職員が申し込めるようになりました。", title=created.title), "success")
        return redirect_to(url_for("staffvol.show", activity_id=created.id))
    return _form_page(form, status=422 if request.method == "POST" else 200)


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@roles_required(Role.STAFF, Role.ADMIN, refusal=NOT_STAFF)
def edit(activity_id: int):
    """活動の編集: the organising department. People signed up are told when the time or place changes."""
    activity = permitted(activities.load(activity_id), activities.can_organise)
    form = _activity_form(activity)
    if form.validate_on_submit() and commit_unless_refused(
            form, lambda: activities.save_activity(_me(), activity, form.values())):
        flash(_("保存しました。"), "success")
        return redirect_to(url_for("staffvol.show", activity_id=activity.id))
    return _form_page(form, activity, status=422 if request.method == "POST" else 200)


def _organiser_context(activity) -> dict:
    if not activities.can_organise(current_user, activity):
        return {"organiser": False}
    confirmed, waiting = signups.confirmed(activity.id), signups.waiting_list(activity.id)
    colleagues = []
    if activity.participation == "workplace" and activities.sign_up_open(activity):
        holding = {s.user_id for s in confirmed + waiting}
        colleagues = [u for u in department_staff(activity.department_id) if u.id not in holding]
    clashes = signups.time_clashes(activity) if activity.status == "open" else {}
    return {"organiser": True, "confirmed": confirmed, "waiting": waiting, "colleagues": colleagues,
            "clashes": clashes, "cancel_form": CancelActivityForm(formdata=None)}


@bp.route("/<int:activity_id>")
@roles_required(*CITY_STAFF, refusal=NOT_STAFF)
def show(activity_id: int):
    """活動のページ: what, when, where, what to bring, and the sign-up button with the seats left."""
    activity = _visible(activity_id)
    return render("staffvol/show.html", activity=activity, seat=signups.seat_state(activity, current_user),
                  started=activities.has_started(activity), **_organiser_context(activity))


def _seat_response(activity):
    """After a sign-up or a cancellation: the seat panel (htmx) or the page again (303)."""
    db.session.expire(activity)
    if is_htmx():
        return render("staffvol/show.html", block="seat", activity=activity,
                      seat=signups.seat_state(activity, current_user))
    return redirect_to(url_for("staffvol.show", activity_id=activity.id))


@bp.route("/<int:activity_id>/signup", methods=["POST"])
@roles_required(Role.STAFF, refusal=NOT_STAFF)
def signup(activity_id: int):
    """参加する / キャンセル待ちに登録する. 409 when closed, already signed up or at an overlapping time."""
    activity = _visible(activity_id)
    signup_ = signups.sign_up(activity, _me())
    db.session.commit()
    if signup_.status == "confirmed":
        flash(_("「%(title)s」に申し込みました。", title=activity.title), "success")
    else:
        flash(_("定員に達していたため、キャンセル待ち（%(n)d番目）に登録しました。繰り上がるとお知らせします。",
                n=signups.waiting_position(signup_) or 0), "success")
    return _seat_response(activity)


@bp.route("/<int:activity_id>/cancel", methods=["POST"])
@roles_required(Role.STAFF, refusal=NOT_STAFF)
def cancel(activity_id: int):
    """Cancel one's own seat (or leave the waiting list) until the deadline; the first waiting person moves up."""
    activity = _visible(activity_id)
    mine = signups.signup_of(activity.id, _me().id)
    if mine is None:
        raise Conflict(_("この活動には申し込んでいません。"))
    signups.cancel(mine, _me())
    db.session.commit()
    flash(_("「%(title)s」への申し込みを取り消しました。", title=activity.title), "success")
    return _seat_response(activity)


@bp.route("/<int:activity_id>/seats")
@roles_required(*CITY_STAFF, refusal=NOT_STAFF)
def seats(activity_id: int):
    """The seat panel alone: polled by the page every 30 seconds so the seats left stay current."""
    activity = _visible(activity_id)
    return render("staffvol/show.html", block="seat", activity=activity,
                  seat=signups.seat_state(activity, current_user))


@bp.route("/<int:activity_id>/signups/<int:signup_id>/remove", methods=["POST"])
@roles_required(Role.STAFF, Role.ADMIN, refusal=NOT_STAFF)
def remove_signup(activity_id: int, signup_id: int):
    """The organiser takes someone off (they are told); the first waiting person moves up."""
    activity = permitted(activities.load(activity_id), activities.can_organise)
    signup_ = db.session.get(StaffSignup, signup_id)
    if signup_ is None or signup_.activity_id != activity.id:
        abort(404)
    signups.cancel(signup_, _me())
    db.session.commit()
    flash(_("申し込みを取り消しました。"), "success")
    return redirect_to(url_for("staffvol.show", activity_id=activity.id))


@bp.route("/<int:activity_id>/team", methods=["POST"])
@roles_required(Role.STAFF, Role.ADMIN, refusal=NOT_STAFF)
def team(activity_id: int):
    """職場単位: the organiser signs up the colleagues ticked on the page; who could not be signed up, and why."""
    activity = permitted(activities.load(activity_id), activities.can_organise)
    chosen = [int(v) for v in request.form.getlist("user_id")[:500] if v.isdigit() and len(v) < 10]
    if not chosen:
        raise Conflict(_("登録する職員を選んでください。"))
    result = signups.sign_up_colleagues(activity, _me(), chosen)
    db.session.commit()
    if result.confirmed or result.waiting:
        flash(_("%(n)d人の参加を登録しました（うちキャンセル待ち%(w)d人）。",
                n=len(result.confirmed) + len(result.waiting), w=len(result.waiting)), "success")
    for person, reason in result.skipped:
        flash(_("%(name)sさんは登録できませんでした: %(reason)s", name=person.display_name, reason=reason), "error")
    return redirect_to(url_for("staffvol.show", activity_id=activity.id))


@bp.route("/<int:activity_id>/call-off", methods=["POST"])
@roles_required(Role.STAFF, Role.ADMIN, refusal=NOT_STAFF)
def call_off(activity_id: int):
    """活動の中止: with a reason every person signed up is told."""
    activity = permitted(activities.load(activity_id), activities.can_organise)
    form = CancelActivityForm()
    if form.validate_on_submit() and commit_unless_refused(
            form, lambda: activities.cancel_activity(_me(), activity, form.reason.data)):
        flash(_("活動を中止しました。申し込んだ職員にお知らせしました。"), "success")
        return redirect_to(url_for("staffvol.show", activity_id=activity.id))
    return render("staffvol/show.html", status=422, activity=activity, seat=signups.seat_state(activity, current_user),
                  started=activities.has_started(activity), **(_organiser_context(activity) | {"cancel_form": form}))


@bp.route("/<int:activity_id>/attendance", methods=["GET", "POST"])
@roles_required(Role.STAFF, Role.ADMIN, refusal=NOT_STAFF)
def record_attendance(activity_id: int):
    """参加の記録: for each confirmed person, came or not and the minutes (the activity's length by default)."""
    activity = permitted(activities.load(activity_id), activities.can_organise)
    people = signups.confirmed(activity.id)  # with each person (one query)
    errors: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        marks = []
        for s in people:
            came = request.form.get(f"attended-{s.id}") == "yes"
            raw = (request.form.get(f"minutes-{s.id}") or "").strip()
            if not came:
                marks.append(attendance.Mark(s.id, False, 0))
                continue
            minutes, problem = parse_hours(raw)
            if problem:
                errors[s.id] = problem
                continue
            marks.append(attendance.Mark(s.id, True, minutes))
        if not errors:
            attendance.record(activity, _me(), marks)
            db.session.commit()
            flash(_("参加の記録を保存しました。"), "success")
            return redirect_to(url_for("staffvol.show", activity_id=activity.id))
        status = 422
    return render("staffvol/attendance.html", block="sheet", status=status, activity=activity, people=people,
                  errors=errors, default_hours=attendance.default_minutes(activity) / 60,
                  form_values=request.form if request.method == "POST" else None)

