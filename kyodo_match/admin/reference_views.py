"""Reference-data pages on the admin blueprint: committees, departments, activity fields, the skill vocabulary."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..access import roles_required
from ..errors import RuleViolation
from ..extensions import db
from ..htmx import redirect_to, render
from ..models import ActivityField, Department, District, Role, Skill, SkillCategory
from ..reference import services as ref
from .forms import ActivityFieldForm, DepartmentForm, DistrictForm, DistrictImportForm, SkillCategoryForm, SkillForm
from .views import bp

EDITORS_OF_SKILLS = (Role.ADMIN, Role.COORDINATOR)


def _get_or_404(model, key):
    obj = db.session.get(model, key)
    if obj is None:
        abort(404)
    return obj


def _save(form, save, done_url: str, **values):
    """Call ``save(**values)`` and commit; a taken name or a refused value goes beside the name field (422)."""
    first = next(f for f in form if f.name != "csrf_token")
    try:
        save(**values)
        db.session.commit()
    except RuleViolation as e:
        db.session.rollback()
        first.errors.append(e.message)
        return None
    except IntegrityError:  # the same name was saved by someone else between our check and the commit
        db.session.rollback()
        first.errors.append(_("同じ名前がすでに登録されています。別の名前にしてください。"))
        return None
    flash(_("保存しました。"), "success")
    return redirect_to(done_url)


def _form_page(form, title: str, back: str, back_label: str, status: int | None = None, **extra):
    status = status or (422 if request.method == "POST" else 200)
    return render("admin/reference_form.html", block="form", form=form, title=title, back=back,
                  back_label=back_label, status=status, **extra)


# --- 地域委員会 -------------------------------------------------------------------------------------------------

@bp.route("/reference/districts")
@roles_required(Role.ADMIN)
def districts():
    """地域委員会の一覧: grouped by area, with their state."""
    return render("admin/districts.html", areas=ref.districts_by_area())


@bp.route("/reference/districts/new", methods=["GET", "POST"], defaults={"district_id": None})
@bp.route("/reference/districts/<int:district_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def district_edit(district_id: int | None):
    """地域委員会の追加・編集."""
    district = _get_or_404(District, district_id) if district_id else None
    form = DistrictForm(obj=district, areas=ref.areas())
    if form.validate_on_submit() and (done := _save(
            form, ref.save_district, url_for("admin.districts"), actor=current_user, district=district,
            name=form.name.data, area_id=form.area_id.data, active=form.active.data)):
        return done
    title = _("地域委員会の編集") if district else _("地域委員会の追加")
    return _form_page(form, title, url_for("admin.districts"), _("地域委員会の一覧へ戻る"))


@bp.route("/reference/districts/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def district_import():
    """地域委員会のCSV取り込み: adds the committees that are missing and reports what it did."""
    form = DistrictImportForm()
    report, problems, status = None, [], 200
    if form.validate_on_submit():
        try:
            report = ref.import_districts(current_user, form.file.data.read())
        except RuleViolation as e:
            db.session.rollback()
            form.file.errors.append(e.message)
            problems = e.problems
        else:
            db.session.commit()
    if request.method == "POST" and report is None:
        status = 422
    return render("admin/district_import.html", block="form", form=form, report=report, problems=problems,
                  status=status)


# --- 担当課 -----------------------------------------------------------------------------------------------------

@bp.route("/reference/departments")
@roles_required(Role.ADMIN)
def departments():
    """市の課の一覧: division, staff count (the denominator of participation rates), state."""
    return render("admin/departments.html", departments=ref.all_departments())


@bp.route("/reference/departments/new", methods=["GET", "POST"], defaults={"department_id": None})
@bp.route("/reference/departments/<int:department_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def department_edit(department_id: int | None):
    """課の追加・編集."""
    department = _get_or_404(Department, department_id) if department_id else None
    form = DepartmentForm(obj=department)
    if form.validate_on_submit() and (done := _save(
            form, ref.save_department, url_for("admin.departments"), actor=current_user, department=department,
            name=form.name.data, division=form.division.data, staff_count=form.staff_count.data,
            active=form.active.data)):
        return done
    title = _("課の編集") if department else _("課の追加")
    return _form_page(form, title, url_for("admin.departments"), _("課の一覧へ戻る"))


# --- 活動分野 ---------------------------------------------------------------------------------------------------

@bp.route("/reference/fields")
@roles_required(Role.ADMIN)
def fields():
    """市民活動の20分野: codes and official wording are fixed; the short label may be edited."""
    return render("admin/fields.html", fields=ref.activity_fields())


@bp.route("/reference/fields/<int:code>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def field_edit(code: int):
    """活動分野の表示名の編集."""
    field = _get_or_404(ActivityField, code)
    form = ActivityFieldForm(obj=field)
    if form.validate_on_submit() and (done := _save(
            form, ref.relabel_field, url_for("admin.fields"), actor=current_user, field=field, label=form.label.data)):
        return done
    return _form_page(form, _("活動分野の表示名の編集"), url_for("admin.fields"), _("活動分野の一覧へ戻る"),
                      note=field.official)


# --- スキル（コーディネーターも編集できる） -------------------------------------------------------------------------

@bp.route("/reference/skills")
@roles_required(*EDITORS_OF_SKILLS)
def skills():
    """スキルの一覧: the vocabulary volunteers and groups choose from, by category."""
    return render("admin/skills.html", categories=ref.skill_categories())


@bp.route("/reference/skills/categories/new", methods=["GET", "POST"], defaults={"category_id": None})
@bp.route("/reference/skills/categories/<int:category_id>", methods=["GET", "POST"])
@roles_required(*EDITORS_OF_SKILLS)
def skill_category_edit(category_id: int | None):
    """スキルの分類の追加・名前の変更."""
    category = _get_or_404(SkillCategory, category_id) if category_id else None
    form = SkillCategoryForm(obj=category)
    if form.validate_on_submit() and (done := _save(
            form, ref.save_skill_category, url_for("admin.skills"), actor=current_user, category=category,
            name=form.name.data)):
        return done
    title = _("分類の名前の変更") if category else _("分類の追加")
    return _form_page(form, title, url_for("admin.skills"), _("スキルの一覧へ戻る"))


@bp.route("/reference/skills/new", methods=["GET", "POST"], defaults={"skill_id": None})
@bp.route("/reference/skills/<int:skill_id>", methods=["GET", "POST"])
@roles_required(*EDITORS_OF_SKILLS)
def skill_edit(skill_id: int | None):
    """スキルの追加・編集・利用停止."""
    skill = _get_or_404(Skill, skill_id) if skill_id else None
    form = SkillForm(obj=skill, categories=ref.skill_categories(),
                     data=None if skill else {"category_id": request.args.get("category", type=int)})
    if form.validate_on_submit() and (done := _save(
            form, ref.save_skill, url_for("admin.skills"), actor=current_user, skill=skill, name=form.name.data,
            category_id=form.category_id.data, active=form.active.data)):
        return done
    title = _("スキルの編集") if skill else _("スキルの追加")
    return _form_page(form, title, url_for("admin.skills"), _("スキルの一覧へ戻る"))
