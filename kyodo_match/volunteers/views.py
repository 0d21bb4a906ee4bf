"""個人ボランティア: my registration, its editor, and the public talent bank (人材バンク)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..access import public, roles_required
from ..errors import commit_unless_refused
from ..extensions import db
from ..htmx import redirect_to, render
from ..i18n import local_day, today_jst
from ..models import Role
from ..pagination import int_list_arg, page_arg
from ..reference.services import districts_by_area
from ..search.analysis import MAX_QUERY_CHARS
from . import services
from .forms import ProfileForm, form_for

bp = Blueprint("volunteers", __name__)

PER_PAGE = 20
# Fields checked one by one as they change (hx-post to validate_field).
CHECKED_FIELDS = {"display_name", "real_name", "real_name_kana", "guardian_name", "contact_email", "phone",
                  "postal_code", "free_tags", "availability_note", "insurance_fiscal_year", "bio"}


def _me():
    return current_user._get_current_object()


def _editor(form: ProfileForm, profile, status: int = 200, block: str = "form"):
    user = _me()
    today = today_jst()
    return render(
        "volunteers/edit.html", block=block, status=status, form=form, profile=profile,
        areas=districts_by_area(), fields=services.activity_fields(),
        chosen_skills=services.skills_by_ids(form.skills.data or []), all_skills=services.all_active_skills(),
        needs_consent=not services.has_current_consent(user, current_app.config["KYODO_PRIVACY_NOTICE_VERSION"]),
        show_renewal=services.needs_renewal(profile if profile.expires_on else None, today), today=today,
        field_name=request.view_args.get("name") if request.view_args else None,
    )


@bp.route("/")
@public
def index():
    """人材バンク: public cards, full-text search and facets; the URL holds the filters (shareable, back button)."""
    q = request.args.get("q", "")[:MAX_QUERY_CHARS]
    districts, fields = int_list_arg("district"), int_list_arg("field")
    cards, pages, total = services.talent_bank(q, districts, fields, page=page_arg(), per_page=PER_PAGE)
    args = {k: v for k, v in {"q": q, "district": districts, "field": fields}.items() if v}
    return render("volunteers/index.html", block="results", cards=cards, pages=pages, total=total,
                  page=page_arg(), q=q, args=args,
                  chosen_districts=set(districts), chosen_fields=set(fields), areas=districts_by_area(),
                  fields=services.activity_fields())


@bp.route("/me")
@roles_required(Role.VOLUNTEER)
def me():
    """わたしの登録: my whole profile (private view) and the renewal banner."""
    profile = services.load_profile(_me().id)
    today = today_jst()
    return render("volunteers/me.html", profile=profile, today=today,
                  my_card=services.public_card(profile) if profile else None,
                  show_renewal=services.needs_renewal(profile, today),
                  can_renew=services.can_renew(profile, today))


@bp.route("/me/edit", methods=["GET", "POST"])
@roles_required(Role.VOLUNTEER)
def edit():
    """登録内容の編集: the whole editor; saved with one POST (htmx or not), errors beside each field (422)."""
    profile = services.get_or_create_profile(_me())
    if request.method == "GET":
        return _editor(form_for(profile, _me()), profile, block="content")
    form = form_for(profile, _me(), request.form)
    if form.validate():
        if commit_unless_refused(form, lambda: services.save_profile(_me(), form.cleaned())):
            flash(_("ボランティア登録の内容を保存しました。"), "success")
            return redirect_to(url_for("volunteers.me"))
    return _editor(form, profile, status=422)


@bp.route("/me/validate/<name>", methods=["POST"])
@roles_required(Role.VOLUNTEER)
def validate_field(name: str):
    """Inline check of one field as it changes: its block, with 422 and the message beside it when invalid."""
    if name not in CHECKED_FIELDS:
        abort(404)
    profile = services.get_or_create_profile(_me())
    form = form_for(profile, _me(), request.form)
    form.validate()
    return _editor(form, profile, status=422 if form[name].errors else 200, block="field_check")


@bp.route("/me/renew", methods=["POST"])
@roles_required(Role.VOLUNTEER)
def renew():
    """登録の更新: 3 more years from today (from 90 days before expiry)."""
    profile = services.renew_registration(_me(), today_jst())
    db.session.commit()
    flash(_("登録を更新しました。新しい有効期限は%(day)sです。", day=local_day(profile.expires_on)),
          "success")
    return redirect_to(url_for("volunteers.me"))


@bp.route("/skills/suggest")
@public
def skill_suggest():
    """Skill picker suggestions as you type (くさかり・草刈・ｸｻｶﾘ → 草刈り); at most 10."""
    return render("volunteers/suggest.html", skills=services.suggest_skills(request.args.get("q", "")))


@bp.route("/skills/<int:skill_id>/chip")
@roles_required(Role.VOLUNTEER)
def skill_chip(skill_id: int):
    """A chosen skill as a removable chip (a checked checkbox named ``skills``) for the editor."""
    skill = services.active_skill(skill_id) or abort(404)
    return render("volunteers/chip.html", skill=skill)


@bp.route("/<int:user_id>")
@public
def profile(user_id: int):
    """A volunteer's page: the public card, or everything for the owner and coordinators (staff views audited)."""
    volunteer = services.load_profile(user_id)
    viewer = _me()
    today = today_jst()
    if volunteer is None:
        abort(404)
    private = services.can_view_private(viewer, volunteer)
    contact = services.can_view_contact(viewer, volunteer)
    if not (private or contact or services.is_listed(volunteer, today)):
        abort(404)
    response = render("volunteers/profile.html", profile=volunteer, card=services.public_card(volunteer),
                      private=private, contact=contact, today=today)
    if contact and viewer.id != user_id:
        # Someone else's personal data was shown: logged in its own write transaction.
        audit.record_after_read("personal_data_viewed", actor=viewer, target=f"volunteer:{user_id}")
    return response
