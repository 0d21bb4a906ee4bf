"""アダプトプログラム: applying for a section, the approval queue, one application, the agreement (合意書) and its
change records, and my groups' adoptions. Routes on views.bp (url_prefix /adopt)."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import audit
from ..access import permitted, public, roles_required, signed_in
from ..errors import commit_unless_refused
from ..extensions import db
from ..htmx import is_htmx, redirect_to, render
from ..i18n import today_jst
from ..models import AdoptAgreement, Adoption, AdoptSection, Role, SectionStatus
from ..pagination import page_arg
from . import adoption as adoptions
from . import agreements
from .adoption_forms import AgreementForm, ApplyForm, ChangeForm, StepForm
from .views import bp

DECIDERS = (Role.STAFF, Role.COORDINATOR, Role.ADMIN)
NOT_A_REPRESENTATIVE = _l("里親に申請できるのは、市民活動センターが確認した団体の代表者です。"
                          "団体の登録について、関市市民活動センターにご相談ください。")


def _me():
    return current_user._get_current_object()


def _adoption(adoption_id: int) -> Adoption:
    return permitted(db.session.get(Adoption, adoption_id), adoptions.can_see_adoption)


@bp.context_processor
def _adoption_globals() -> dict:
    return {"adoption_status": adoptions.status_label, "adoption_steps": lambda a: adoptions.available_steps(a, _me()),
            "can_write_agreement": lambda a: adoptions.can_write_agreement(_me(), a),
            "agreement_of": agreements.agreement_of, "activity_labels": adoptions.ACTIVITIES,
            "local_tie_labels": adoptions.LOCAL_TIES, "section_labels": adoptions.SECTION_LABELS,
            "agreement_labels": agreements.AGREEMENT_LABELS, "change_labels": agreements.CHANGE_LABELS,
            "change_detail_labels": agreements.CHANGE_DETAIL_FIELDS}


@bp.route("/sections/<int:section_id>/apply", methods=["GET", "POST"])
@roles_required(Role.GROUP_REP, refusal=NOT_A_REPRESENTATIVE)
def apply(section_id: int):
    """里親に申請する: htmx swaps #adopt-apply-form (422 beside the field); twice is 409; success → the application."""
    section = db.session.get(AdoptSection, section_id) or abort(404)
    user = _me()
    groups = adoptions.my_groups(user)
    form = ApplyForm().setup(groups)
    created: list[Adoption] = []

    def save():
        group = next((g for g in groups if g.id == form.group_id.data), None) or abort(403)
        created.append(adoptions.apply_for_section(section, group, user, form.values()))

    if form.validate_on_submit() and commit_unless_refused(form, save):
        flash(_("申請しました。担当課と市民活動センターが確認します。結果はお知らせでお伝えします。"), "success")
        return redirect_to(url_for("adopt.adoption", adoption_id=created[0].id))
    return render("adopt/apply.html", block="form", status=422 if request.method == "POST" else 200,
                  section=section, form=form, groups=groups, is_open=section.status == SectionStatus.OPEN.value,
                  verified=[g for g in groups if g.status == "verified"])


@bp.route("/adoptions")
@roles_required(*DECIDERS)
def adoptions_queue():
    """里親の申請: my department's sections (staff) or every section (the centre), 20 a page (``?page=``) for the
    status filter ``?status=``; htmx swaps #adoption-queue (the filter links and the pager keep the other)."""
    current = request.args.get("status", "deciding")
    current = current if current in adoptions.QUEUE_FILTERS else "deciding"
    pagination = adoptions.queue(_me(), current, page_arg())
    return render("adopt/adoptions.html", block="queue", pagination=pagination, items=pagination.items,
                  current=current)


@bp.route("/adoptions/<int:adoption_id>")
@signed_in
def adoption(adoption_id: int):
    """One application: the plan, who approved, the reason of a decline, the steps, the agreement's link."""
    return render("adopt/adoption.html", block="adoption", adoption=_adoption(adoption_id))


@bp.route("/adoptions/<int:adoption_id>/step", methods=["POST"])
@signed_in
def adoption_step(adoption_id: int):
    """Take one step (``action``, and ``reason`` to decline). For HX-Target ``adoption-row-<id>`` the answer is
    block ``row`` of adopt/adoptions.html, otherwise for htmx block ``adoption`` of adopt/adoption.html; without
    htmx 303 to the application. 422: reason missing (beside it) · 409: illegal step · 403: not this user's step."""
    item = _adoption(adoption_id)
    form = StepForm()
    ok = form.validate_on_submit() and commit_unless_refused(
        form, lambda: adoptions.move(item, form.action.data or "", _me(), reason=form.reason.data or ""))
    if ok:
        flash(_("「%(status)s」にしました。", status=adoptions.status_label(item)), "success")
        if not is_htmx():
            return redirect_to(url_for("adopt.adoption", adoption_id=adoption_id))
    status = 200 if ok else 422
    extra = {} if ok else {"step_error": (form.reason.errors or [_("入力内容を確認してください。")])[0],
                           "step_action": form.action.data}
    item = db.session.get(Adoption, adoption_id)
    if request.headers.get("HX-Target") == f"adoption-row-{adoption_id}":
        return render("adopt/adoptions.html", block="row", status=status, adoption=item, **extra)
    return render("adopt/adoption.html", block="adoption", status=status, adoption=item, **extra)


@bp.route("/adoptions/<int:adoption_id>/agreement", methods=["GET", "POST"])
@roles_required(Role.STAFF)
def new_agreement(adoption_id: int):
    """合意書を作成する (the department, once both approved): 422 beside the field; success → the agreement."""
    item = permitted(db.session.get(Adoption, adoption_id), lambda u, a: adoptions.is_department(u, a.section))
    form = AgreementForm()
    if request.method == "GET" and form.starts_on.data is None:
        form.starts_on.data = today_jst()
        form.ends_on.data = agreements.one_year_after(today_jst())
        form.sign_text.data = _("アダプト・プログラム 里親: %(group)s", group=item.group.name)[:100]
    created: list[AdoptAgreement] = []
    if form.validate_on_submit() and commit_unless_refused(
            form, lambda: created.append(agreements.create_agreement(item, _me(), form.values()))):
        flash(_("合意書を作成しました。団体と市民活動センターにお知らせしました。"), "success")
        return redirect_to(url_for("adopt.agreement", agreement_id=created[0].id))
    return render("adopt/agreement.html", block="content", status=422 if request.method == "POST" else 200,
                  adoption=item, form=form, agreement=None)


def _agreement_page(agreement: AdoptAgreement, change_form=None, status: int = 200, block: str = "content"):
    user = _me()
    contact = agreements.can_see_contact(user, agreement)
    if contact and not adoptions.is_representative(user, agreement.group):
        audit.record_after_read("group_private_viewed", actor=user, target=f"group:{agreement.group_id}",
                                via=f"adopt_agreement:{agreement.id}")
    may_file = agreements.can_file_change(user, agreement) and bool(agreements.allowed_changes(agreement))
    if may_file and change_form is None:
        change_form = ChangeForm(formdata=None)
        change_form.effective_on.data = today_jst()
    if change_form is not None:
        allowed = set(agreements.allowed_changes(agreement))
        change_form.kind.choices = [c for c in change_form.kind.choices if c.value in allowed]
    return render("adopt/agreement.html", block=block, status=status, agreement=agreement, adoption=agreement.adoption,
                  show_contact=contact, changes=agreements.changes_of(agreement),
                  change_form=change_form if may_file else None)


@bp.route("/agreements/<int:agreement_id>")
@public
def agreement(agreement_id: int):
    """合意書 (printable on A4): the period, duties, sign board; the contact only for the group and the city."""
    found = db.session.get(AdoptAgreement, agreement_id) or abort(404)
    return _agreement_page(found)


@bp.route("/agreements/<int:agreement_id>/changes", methods=["POST"])
@roles_required(Role.GROUP_REP, Role.STAFF)
def file_change(agreement_id: int):
    """変更届・休止届・再開届・廃止届: htmx swaps #agreement-changes; 422 beside the field; 409 when it does not fit."""
    found = permitted(db.session.get(AdoptAgreement, agreement_id), agreements.can_file_change)
    form = ChangeForm()

    def save():
        agreements.file_change(found, _me(), form.kind.data, effective_on=form.effective_on.data,
                               reason=form.reason.data or "", details=form.details())

    if form.validate_on_submit() and commit_unless_refused(form, save):
        flash(_("%(kind)sを受け付けました。", kind=agreements.CHANGE_LABELS[form.kind.data]), "success")
        if not is_htmx():
            return redirect_to(url_for("adopt.agreement", agreement_id=agreement_id))
        return _agreement_page(db.session.get(AdoptAgreement, agreement_id), block="changes")
    return _agreement_page(found, change_form=form, status=422, block="changes")


@bp.route("/mine")
@roles_required(Role.GROUP_REP, refusal=NOT_A_REPRESENTATIVE)
def mine():
    """わたしの団体の里親: my groups' applications and agreements, newest first, 20 a page (``?page=``); htmx swaps
    #adopt-mine-list."""
    pagination = adoptions.mine(_me(), page_arg())
    return render("adopt/mine.html", block="list", pagination=pagination, items=pagination.items,
                  agreements=adoptions.agreements_of(pagination.items))

