"""The coordinator's desk: counts, every person and group (private data audited), CSV for Excel."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request, url_for
from flask_login import current_user

from .. import audit
from ..access import roles_required
from ..extensions import db
from ..htmx import is_htmx, render
from ..i18n import today_jst
from ..models import Role, VolunteerProfile
from ..pagination import page_arg
from . import export, services
from .forms import ConsultationForm, GroupFilterForm, PeopleFilterForm, StageForm

bp = Blueprint("coordination", __name__)

COORDINATORS = (Role.COORDINATOR, Role.ADMIN)
# The groups blueprint's verification queue, linked from the desk when that blueprint is present.
QUEUE_ENDPOINT = "groups.queue"


def person_or_404(user_id: int) -> VolunteerProfile:
    return services.find_person(user_id) or abort(404)


def group_or_404(group_id: int):
    return services.find_group(group_id) or abort(404)


def page_url(subject) -> str:
    if isinstance(subject, VolunteerProfile):
        return url_for("coordination.person", user_id=subject.user_id)
    return url_for("coordination.group", group_id=subject.id)


def subject_page(subject, *, consultation_form=None, stage_form=None, status: int = 200):
    """A person's or group's page; htmx gets block ``casework`` (no contact data), a full page is audited."""
    template = "coordination/person.html" if isinstance(subject, VolunteerProfile) else "coordination/group.html"
    response = render(
        template, block="casework", status=status, subject=subject,
        consultations=services.consultations_for(subject), can_edit=services.can_edit_consultation,
        consultation_form=consultation_form or ConsultationForm(formdata=None),
        stage_form=stage_form or StageForm(formdata=None, data={"stage": subject.stage}),
        urls=_casework_urls(subject),
    )
    if not is_htmx():
        services.view_personal_data(current_user, subject)
    db.session.commit()
    return response


def _casework_urls(subject) -> dict:
    if isinstance(subject, VolunteerProfile):
        return {"add": url_for("coordination.person_consultation_add", user_id=subject.user_id),
                "stage": url_for("coordination.person_stage", user_id=subject.user_id)}
    return {"add": url_for("coordination.group_consultation_add", group_id=subject.id),
            "stage": url_for("coordination.group_stage", group_id=subject.id)}


def _csv(body: str, name: str):
    response = current_app.response_class(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    filename = f"{name}-{today_jst():%Y%m%d}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/")
@roles_required(*COORDINATORS)
def desk():
    """コーディネーター: the numbers to watch, links to the lists, and the latest consultation records."""
    queue = url_for(QUEUE_ENDPOINT) if QUEUE_ENDPOINT in current_app.view_functions else None
    return render("coordination/desk.html", counts=services.desk_counts(), recent=services.recent_consultations(),
                  queue_url=queue, expiring_days=services.EXPIRING_DAYS)


@bp.route("/people")
@roles_required(*COORDINATORS)
def people():
    """個人ボランティア一覧: every profile with private names (never contact data), filtered from the URL."""
    form = PeopleFilterForm(formdata=request.args, **services.filter_choices())
    valid = form.validate()
    filters = form.filters()
    pagination = db.paginate(services.people_query(filters), page=page_arg(), per_page=services.PER_PAGE,
                             error_out=False)
    return render("coordination/people.html", block="results", form=form, pagination=pagination,
                  args=services.filter_args(filters), today=today_jst(),
                  expiring_days=services.EXPIRING_DAYS,
                  status=200 if valid else 422)


@bp.route("/people/<int:user_id>")
@roles_required(*COORDINATORS)
def person(user_id: int):
    """個人ボランティアの詳細: everything, contact data included; each view is written to the audit log."""
    audit.begin_write()  # this GET writes to the audit log
    return subject_page(person_or_404(user_id))


@bp.route("/people.csv")
@roles_required(*COORDINATORS)
def people_csv():
    """個人ボランティア一覧のCSV (the current filters apply); the export is written to the audit log."""
    audit.begin_write()  # this GET writes to the audit log
    form = PeopleFilterForm(formdata=request.args, **services.filter_choices())
    form.validate()
    body = export.export_people(current_user, form.filters())
    db.session.commit()
    return _csv(body, "volunteers")


@bp.route("/groups")
@roles_required(*COORDINATORS)
def groups():
    """団体一覧: every group whatever its status, filtered from the URL."""
    form = GroupFilterForm(formdata=request.args, **services.filter_choices())
    valid = form.validate()
    filters = form.filters()
    pagination = db.paginate(services.groups_query(filters), page=page_arg(), per_page=services.PER_PAGE,
                             error_out=False)
    return render("coordination/groups.html", block="results", form=form, pagination=pagination,
                  args=services.filter_args(filters), status=200 if valid else 422)


@bp.route("/groups/<int:group_id>")
@roles_required(*COORDINATORS)
def group(group_id: int):
    """団体の詳細: everything, private contact data and address included; each view is audited."""
    audit.begin_write()  # this GET writes to the audit log
    return subject_page(group_or_404(group_id))


@bp.route("/groups.csv")
@roles_required(*COORDINATORS)
def groups_csv():
    """団体一覧のCSV (the current filters apply); the export is written to the audit log."""
    audit.begin_write()  # this GET writes to the audit log
    form = GroupFilterForm(formdata=request.args, **services.filter_choices())
    form.validate()
    body = export.export_groups(current_user, form.filters())
    db.session.commit()
    return _csv(body, "groups")
