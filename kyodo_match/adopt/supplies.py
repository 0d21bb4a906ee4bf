"""原材料支給 (IV-3-(5)-②): the city's catalogue of supplies and tools, and a group's requests for its agreement.

申請 → 承認 (stock reserved) → 受け渡し済み → 返却済み (tools on loan: the stock comes back), or 見送り (with a
reason). Stock is reserved by one conditional UPDATE (``stock = stock - n WHERE stock >= n``), so two approvals at
once can never take it below zero; the CHECK (stock >= 0) is the backstop.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..errors import Conflict, FieldRefused, NotAllowed
from ..extensions import db
from ..models import AdoptAgreement, AdoptSection, AgreementStatus, SupplyItem, SupplyRequest, SupplyStatus
from ..notifications import department_staff, notify_many
from .reports import group_reps, is_centre, is_department, is_group_rep

S = SupplyStatus
STATUS_LABELS = {S.REQUESTED.value: _l("申請中"), S.APPROVED.value: _l("承認（在庫を確保）"),
                 S.HANDED_OVER.value: _l("受け渡し済み"), S.RETURNED.value: _l("返却済み"),
                 S.DECLINED.value: _l("見送り")}
# action → (from, to); "return" only for tools on loan
ACTIONS = {"approve": (S.REQUESTED.value, S.APPROVED.value), "hand_over": (S.APPROVED.value, S.HANDED_OVER.value),
           "return": (S.HANDED_OVER.value, S.RETURNED.value), "decline": (S.REQUESTED.value, S.DECLINED.value)}
ACTION_LABELS = {"approve": _l("承認する"), "hand_over": _l("受け渡した"), "return": _l("返却を受けた"),
                 "decline": _l("見送る")}
MAX_QUANTITY = 10000


# --- who may do what ------------------------------------------------------------------------------------------

def can_manage_catalogue(user) -> bool:
    """Coordinators and administrators keep the catalogue."""
    return is_centre(user)


def can_request(user, agreement: AdoptAgreement) -> bool:
    return is_group_rep(user, agreement)


def can_view_requests(user, agreement: AdoptAgreement) -> bool:
    return is_group_rep(user, agreement) or is_department(user, agreement.section.department_id) or is_centre(user)


def can_decide(user, request: SupplyRequest) -> bool:
    """The managing department of the section, and the centre."""
    return is_department(user, request.agreement.section.department_id) or is_centre(user)


# --- the catalogue --------------------------------------------------------------------------------------------

def catalogue(*, include_inactive: bool = False) -> list[SupplyItem]:
    query = select(SupplyItem).order_by(SupplyItem.is_loan, SupplyItem.name)
    if not include_inactive:
        query = query.where(SupplyItem.active.is_(True))
    return list(db.session.scalars(query))


def save_item(actor, item: SupplyItem | None, *, name: str, unit: str, is_loan: bool, stock: int,
              active: bool = True) -> SupplyItem:
    """Add an item to the catalogue or correct one (name, unit, loan or not, stock).

    Raises NotAllowed (403) for anyone but the centre, FieldRefused (422, ``name``) for a name already used."""
    if not can_manage_catalogue(actor):
        raise NotAllowed()
    name = (name or "").strip()
    clash = db.session.scalar(select(SupplyItem.id).where(SupplyItem.name == name))
    if clash is not None and (item is None or clash != item.id):
        raise FieldRefused("name", _("同じ名前の品目がすでにあります。"))
    if item is None:
        item = SupplyItem()
        db.session.add(item)
    item.name, item.unit, item.is_loan, item.stock, item.active = name, unit.strip() or "個", bool(is_loan), \
        int(stock), bool(active)
    db.session.flush()
    return item


def load_item(item_id: int) -> SupplyItem | None:
    return db.session.get(SupplyItem, item_id)


# --- requests -------------------------------------------------------------------------------------------------

def request_supply(agreement: AdoptAgreement, actor, item: SupplyItem | None, quantity: int,
                   return_on: date | None, *, today: date | None = None, link: str | None = None) -> SupplyRequest:
    """A group asks for an item of the catalogue for its agreement; a tool on loan needs a return date.

    Raises NotAllowed (403) for anyone but the group's representatives, Conflict (409) unless the agreement is
    active, FieldRefused (422) for an unknown item, a quantity below 1 or a missing or past return date.
    """
    if not can_request(actor, agreement):
        raise NotAllowed()
    if agreement.status != AgreementStatus.ACTIVE.value:
        raise Conflict(_("原材料の支給は、有効な合意書の区間についてだけ申請できます。"))
    if item is None or not item.active:
        raise FieldRefused("item_id", _("品目を選んでください。"))
    if not 1 <= (quantity or 0) <= MAX_QUANTITY:
        raise FieldRefused("quantity", _("数量は1以上にしてください。"))
    if item.is_loan:
        if return_on is None:
            raise FieldRefused("return_on", _("貸し出しの道具には返却日を入れてください。"))
        if return_on < (today or date.today()):
            raise FieldRefused("return_on", _("返却日は今日以降の日付にしてください。"))
    row = SupplyRequest(agreement_id=agreement.id, item_id=item.id, quantity=quantity,
                        return_on=return_on if item.is_loan else None, requested_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    section = agreement.section
    notify_many(department_staff(section.department_id), "adopt_supply_requested",
                _l("「%(section)s」の里親から「%(item)s」%(n)d%(unit)sの支給の申請が届きました。",
                   section=section.name, item=item.name, n=quantity, unit=item.unit), link)
    return row


def _reserve(item_id: int, quantity: int) -> bool:
    result = db.session.execute(update(SupplyItem).where(SupplyItem.id == item_id, SupplyItem.stock >= quantity)
                                .values(stock=SupplyItem.stock - quantity).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _give_back(item_id: int, quantity: int) -> None:
    db.session.execute(update(SupplyItem).where(SupplyItem.id == item_id)
                       .values(stock=SupplyItem.stock + quantity).execution_options(synchronize_session=False))


def _move(row: SupplyRequest, source: str, target: str, **values) -> None:
    """Compare-and-set on the status: two clicks at once cannot both move the same request."""
    result = db.session.execute(update(SupplyRequest).where(SupplyRequest.id == row.id, SupplyRequest.status == source)
                                .values(status=target, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.expire(row)
        raise Conflict(_("この申請はほかの人の操作で状態が変わりました。画面を更新してください。"))
    db.session.expire(row, ["status", *values])


def decide(row: SupplyRequest, action: str, actor, *, reason: str = "", link: str | None = None) -> None:
    """承認 (reserves the stock) → 受け渡し → 返却 (loans: the stock comes back), or 見送り with a reason.
    The group's representatives are told of each step.

    Raises NotAllowed (403) for anyone but the department and the centre, Conflict (409) for a step that does not
    follow from the current status and when the stock is not enough, FieldRefused (422, ``reason``) for 見送り
    without a reason.
    """
    if not can_decide(actor, row):
        raise NotAllowed()
    if action not in ACTIONS or (action == "return" and not row.item.is_loan):
        raise Conflict(_("この申請には、その操作はできません。"))
    source, target = ACTIONS[action]
    if row.status != source:
        raise Conflict(_("この申請はほかの人の操作で状態が変わりました。画面を更新してください。"))
    reason = (reason or "").strip()[:2000]
    if action == "decline" and not reason:
        raise FieldRefused("reason", _("見送る理由を書いてください。"))
    item, quantity = row.item, row.quantity
    _move(row, source, target, **({"reason": reason} if reason else {}))
    if action == "approve" and not _reserve(item.id, quantity):
        db.session.expire(item, ["stock"])
        raise Conflict(_("在庫が足りません（「%(item)s」の在庫は%(stock)d%(unit)s、申請は%(n)d%(unit)s）。"
                         "在庫を増やすか、見送ってください。", item=item.name, stock=_stock(item.id),
                         n=quantity, unit=item.unit))
    if action == "return":
        _give_back(item.id, quantity)
    db.session.expire(item, ["stock"])
    notify_many(group_reps(row.agreement.group_id), "adopt_supply_status",
                _l("「%(item)s」の支給の申請が「%(status)s」になりました。", item=item.name,
                   status=STATUS_LABELS[target]), link)


def _stock(item_id: int) -> int:
    return db.session.scalar(select(SupplyItem.stock).where(SupplyItem.id == item_id)) or 0


def actions_for(row: SupplyRequest) -> list[str]:
    return [a for a, (source, _t) in ACTIONS.items() if row.status == source
            and (a != "return" or row.item.is_loan)]


def load_request(request_id: int) -> SupplyRequest | None:
    return db.session.scalar(select(SupplyRequest).where(SupplyRequest.id == request_id).options(
        selectinload(SupplyRequest.item), selectinload(SupplyRequest.agreement).selectinload(AdoptAgreement.section),
        selectinload(SupplyRequest.agreement).selectinload(AdoptAgreement.group)))


def queue(user, status: str | None = None) -> list[SupplyRequest]:
    """Requests the user decides: their department's sections (staff), every section (centre); open ones first."""
    query = (select(SupplyRequest).join(AdoptAgreement, AdoptAgreement.id == SupplyRequest.agreement_id)
             .join(AdoptSection, AdoptSection.id == AdoptAgreement.section_id)
             .options(selectinload(SupplyRequest.item), selectinload(SupplyRequest.agreement)
                      .selectinload(AdoptAgreement.section), selectinload(SupplyRequest.agreement)
                      .selectinload(AdoptAgreement.group)))
    if not is_centre(user):
        query = query.where(AdoptSection.department_id == user.department_id)
    if status in STATUS_LABELS:
        query = query.where(SupplyRequest.status == status)
    closed = SupplyRequest.status.in_((S.RETURNED.value, S.DECLINED.value))
    return list(db.session.scalars(query.order_by(closed, SupplyRequest.created_at, SupplyRequest.id)))


def requests_of(agreement: AdoptAgreement) -> list[SupplyRequest]:
    return list(db.session.scalars(select(SupplyRequest).where(SupplyRequest.agreement_id == agreement.id)
                                   .options(selectinload(SupplyRequest.item))
                                   .order_by(SupplyRequest.created_at.desc(), SupplyRequest.id.desc())))

