"""アダプトプログラム: 原材料支給 — the catalogue, a group's requests, and the department's queue."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..access import permitted, roles_required, signed_in
from ..errors import NotAllowed, commit_unless_refused
from ..htmx import is_htmx, redirect_to, render
from ..models import Role
from . import reports, supplies
from .supply_forms import DecisionForm, ItemForm, SupplyRequestForm
from .views import bp

DECIDERS = (Role.STAFF, Role.COORDINATOR, Role.ADMIN)


def _actor():
    return current_user._get_current_object()


@bp.route("/supplies", methods=["GET", "POST"])
@signed_in
def supplies_catalogue():
    """原材料支給の品目: everyone signed in reads the catalogue; coordinators and admins add items."""
    manage = supplies.can_manage_catalogue(current_user)
    form = ItemForm()
    status = 200
    if request.method == "POST":
        if not manage:
            raise NotAllowed()
        if form.validate_on_submit() and commit_unless_refused(form, lambda: supplies.save_item(
                _actor(), None, name=form.name.data, unit=form.unit.data, is_loan=form.is_loan.data,
                stock=form.stock.data, active=form.active.data)):
            flash(_("品目「%(name)s」を登録しました。", name=form.name.data), "success")
            return redirect_to(url_for("adopt.supplies_catalogue"))
        status = 422
    return render("adopt/supplies.html", block="catalogue", status=status, items=supplies.catalogue(
        include_inactive=manage), form=form, manage=manage)


@bp.route("/supplies/<int:item_id>", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def supply_item(item_id: int):
    """Correct an item of the catalogue (its stock, above all)."""
    item = permitted(supplies.load_item(item_id), lambda user, _item: supplies.can_manage_catalogue(user))
    form = ItemForm(prefix=f"i{item.id}")
    if form.validate_on_submit() and commit_unless_refused(form, lambda: supplies.save_item(
            _actor(), item, name=form.name.data, unit=form.unit.data, is_loan=form.is_loan.data,
            stock=form.stock.data, active=form.active.data)):
        flash(_("品目「%(name)s」を更新しました。", name=item.name), "success")
        return redirect_to(url_for("adopt.supplies_catalogue"))
    return render("adopt/supplies.html", block="catalogue", status=422, items=supplies.catalogue(
        include_inactive=True), form=ItemForm(formdata=None), manage=True, item_errors={item.id: form})


@bp.route("/agreements/<int:agreement_id>/supplies", methods=["GET", "POST"])
@signed_in
def agreement_supplies(agreement_id: int):
    """A group's requests for its agreement, and the form to ask for an item (the group's representatives)."""
    agreement = permitted(reports.load_agreement(agreement_id), supplies.can_view_requests)
    can_request = supplies.can_request(current_user, agreement)
    items = supplies.catalogue()
    form = SupplyRequestForm()
    form.item_id.choices = [SelectChoice("", _("選んでください"))] + [
        SelectChoice(i.id, f"{i.name}（{_('貸し出し') if i.is_loan else _('支給')}・{_('在庫')} {i.stock}{i.unit}）")
        for i in items]
    status = 200
    if request.method == "POST":
        if not can_request:
            raise NotAllowed()
        if form.validate_on_submit() and commit_unless_refused(form, lambda: supplies.request_supply(
                agreement, _actor(), supplies.load_item(form.item_id.data) if form.item_id.data else None,
                form.quantity.data, form.return_on.data, link=url_for("adopt.supply_requests"))):
            flash(_("支給を申請しました。担当課からの連絡をお待ちください。"), "success")
            return redirect_to(url_for("adopt.agreement_supplies", agreement_id=agreement.id))
        status = 422
    return render("adopt/supply_requests.html", block="request_form", status=status, agreement=agreement,
                  rows=supplies.requests_of(agreement), form=form, can_request=can_request, queue=False,
                  labels=supplies)


@bp.route("/supplies/requests")
@roles_required(*DECIDERS)
def supply_requests():
    """支給の申請の受付: the managing department's staff see their sections', the centre every one."""
    status = request.args.get("status") or None
    return render("adopt/supply_requests.html", block="results", rows=supplies.queue(current_user, status),
                  status_filter=status, queue=True, labels=supplies, form=DecisionForm())


@bp.route("/supplies/requests/<int:request_id>/<action>", methods=["POST"])
@roles_required(*DECIDERS)
def supply_step(request_id: int, action: str):
    """承認 / 受け渡し / 返却 / 見送り of one request; htmx swaps its row. Not enough stock: 409."""
    row = permitted(supplies.load_request(request_id), supplies.can_decide)
    form = DecisionForm(prefix=f"s{row.id}")
    ok = form.validate_on_submit() and commit_unless_refused(form, lambda: supplies.decide(
        row, action, _actor(), reason=form.reason.data,
        link=url_for("adopt.agreement_supplies", agreement_id=row.agreement_id)))
    if ok and not is_htmx():
        flash(_("「%(item)s」の申請を「%(status)s」にしました。", item=row.item.name,
                status=supplies.STATUS_LABELS[row.status]), "success")
        return redirect_to(url_for("adopt.supply_requests"))
    if not is_htmx():  # the whole queue, with the message beside this request's field
        return render("adopt/supply_requests.html", status=422, rows=supplies.queue(current_user), status_filter=None,
                      queue=True, labels=supplies, form=form)
    return render("adopt/supply_requests.html", block="row", status=200 if ok else 422, row=row, queue=True,
                  labels=supplies, form=DecisionForm(formdata=None, prefix=f"s{row.id}") if ok else form, saved=ok)
