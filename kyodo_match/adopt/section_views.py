"""アダプトプログラム: the public list and map of sections, a section's page, the section form, the results and
open data (CSV, GeoJSON). Routes on views.bp."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import permitted, public, roles_required
from ..errors import NotAllowed, commit_unless_refused
from ..htmx import redirect_to, render
from ..models import Role
from ..pagination import page_arg
from . import results as results_service
from . import sections
from .section_forms import SectionForm
from .views import bp

MANAGERS = (Role.STAFF, Role.COORDINATOR, Role.ADMIN)


def _leaflet(cfg) -> dict:
    """Leaflet from its CDN with SRI, or from static/vendor when htmx is served locally (`make vendor`)."""
    if cfg["KYODO_HTMX_SOURCE"] == "local":
        js, css = (url_for("static", filename=f"vendor/leaflet/leaflet.{ext}") for ext in ("js", "css"))
    else:
        js, css = cfg["KYODO_LEAFLET_JS_URL"], cfg["KYODO_LEAFLET_CSS_URL"]
    return {"js": js, "js_sri": cfg["KYODO_LEAFLET_JS_SRI"], "css": css, "css_sri": cfg["KYODO_LEAFLET_CSS_SRI"],
            "tiles": cfg["KYODO_MAP_TILE_URL"]}


@bp.context_processor
def _section_context() -> dict:
    cfg = current_app.config
    return {
        "section_kinds": sections.KIND_LABELS, "section_statuses": sections.STATUS_LABELS,
        "leaflet": _leaflet(cfg),
    }


@bp.route("/")
@public
def index():
    """区間の一覧と地図: kind, district and status in the URL; htmx swaps #adopt-results."""
    f = sections.section_filters(request.args)
    return render("adopt/index.html", block="results", f=f, result=sections.public_list(f, page_arg()),
                  choices=sections.choices(), can_create=sections.can_create(current_user))


@bp.route("/sections.geojson")
@public
def sections_geojson():
    """Open data: the sections drawn on the map (public fields only) as a GeoJSON FeatureCollection."""
    only = request.args.get("section", "")
    data = sections.feature_collection(sections.section_filters(request.args),
                                       lambda sid: url_for("adopt.section", section_id=sid, _external=True),
                                       only_id=int(only) if only.isdigit() and len(only) < 10 else None)
    response = jsonify(data)
    response.mimetype = "application/geo+json"
    return response


@bp.route("/sections/<int:section_id>")
@public
def section(section_id: int):
    """A section's public page: where it is, who adopts it and what has been done there."""
    s = sections.load_section(section_id)
    if s is None:
        abort(404)
    return render("adopt/section.html", section=s, adopter=sections.adopter_names([s.id]).get(s.id),
                  results=results_service.section_results(s.id), photos=results_service.public_photos(s.id),
                  can_manage=sections.can_manage(current_user, s))


def _form_page(form: SectionForm, section_=None):
    return render("adopt/section_form.html", block="form", form=form, section=section_,
                  status=422 if request.method == "POST" else 200)


@bp.route("/sections/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new_section():
    """区間の登録: staff for their own department, the centre for any department."""
    user = current_user._get_current_object()
    if not sections.can_create(user):  # staff without a department: say why on the page; a POST is refused
        if request.method == "POST":
            raise NotAllowed(_("担当課が登録されていないため、区間を登録できません。管理者に連絡してください。"))
        return render("adopt/section_form.html", block="form", form=None, section=None)
    form = SectionForm()
    form.set_choices(sections.choices(), choose_department=sections.is_overseer(user))
    created = None

    def save():
        nonlocal created
        dept = form.department_id.data if "department_id" in form else user.department_id
        created = sections.create_section(dept, user, form.values())

    if form.validate_on_submit() and commit_unless_refused(form, save):
        flash(_("区間「%(name)s」を登録しました。", name=created.name), "success")
        return redirect_to(url_for("adopt.section", section_id=created.id))
    return _form_page(form)


@bp.route("/sections/<int:section_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_section(section_id: int):
    """区間の編集: its managing department's staff and the centre; other departments get 403."""
    s = permitted(sections.load_section(section_id), sections.can_manage)
    form = SectionForm(data=sections.form_data(s))
    form.set_choices(sections.choices(), choose_department=False)
    user = current_user._get_current_object()
    if form.validate_on_submit() and commit_unless_refused(form, lambda: sections.update_section(s, user,
                                                                                                  form.values())):
        flash(_("保存しました。"), "success")
        return redirect_to(url_for("adopt.section", section_id=s.id))
    return _form_page(form, s)


@bp.route("/results")
@public
def results():
    """The whole program's results: groups, people, adopted km and m², activities per fiscal year, garbage."""
    return render("adopt/results.html", program=results_service.program_results())


@bp.route("/results.csv")
@public
def results_csv():
    """Open data: one row per section with its totals (UTF-8 with BOM, CRLF, formula-safe)."""
    response = make_response(results_service.results_csv().encode("utf-8"))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = "attachment; filename=adopt-results.csv"
    return response
