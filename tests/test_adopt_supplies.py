"""原材料支給: the catalogue, a group's requests, and the department's steps with stock that never goes below 0."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import Department, Notification, Role, SupplyItem, SupplyRequest
from tests.factories import PASSWORD, make_user
from tests.test_adopt_reports import make_agreement


def dept_staff(name: str = "土木課"):
    dept = db.session.scalar(select(Department).where(Department.name == name))
    return make_user(Role.STAFF, department_id=dept.id)


def item(name="ごみ袋（45L）", stock=10, is_loan=False, unit="枚") -> SupplyItem:
    row = SupplyItem(name=name, unit=unit, stock=stock, is_loan=is_loan)
    db.session.add(row)
    db.session.commit()
    return row


def ask(client, agreement, item_id, quantity, return_on=None):
    data = {"item_id": str(item_id), "quantity": str(quantity)}
    if return_on:
        data["return_on"] = return_on.isoformat()
    return client.post(f"/adopt/agreements/{agreement.id}/supplies", data=data)


def test_coordinator_manages_the_catalogue_and_others_only_read_it(app, client, login, login_as):
    rep = make_user(Role.GROUP_REP)
    login(rep)
    assert client.get("/adopt/supplies").status_code == 200
    assert client.post("/adopt/supplies", data={"name": "軍手", "unit": "組", "stock": "5"}).status_code == 403
    client.post("/logout")
    login_as(Role.COORDINATOR)
    assert client.post("/adopt/supplies", data={"name": "軍手", "unit": "組", "stock": "50"}).status_code == 303
    assert client.post("/adopt/supplies", data={"name": "軍手", "unit": "組", "stock": "1"}).status_code == 422
    bad = client.post("/adopt/supplies", data={"name": "土", "unit": "袋", "stock": "-3"})
    assert bad.status_code == 422 and "数字で入力" in bad.get_data(as_text=True)
    row = db.session.scalar(select(SupplyItem).where(SupplyItem.name == "軍手"))
    assert (row.unit, row.stock, row.is_loan) == ("組", 50, False)
    fixed = client.post(f"/adopt/supplies/{row.id}", data={f"i{row.id}-name": "軍手", f"i{row.id}-unit": "組",
                                                           f"i{row.id}-stock": "40", f"i{row.id}-active": "y"})
    assert fixed.status_code == 303
    db.session.expire_all()
    assert db.session.get(SupplyItem, row.id).stock == 40


def test_two_approvals_beyond_the_stock_one_is_409_and_stock_never_below_zero(app, client, login):
    agreement, rep = make_agreement()
    staff = dept_staff()
    bags = item(stock=10)
    login(rep)
    assert ask(client, agreement, bags.id, 0).status_code == 422
    assert ask(client, agreement, bags.id, 6).status_code == 303
    assert ask(client, agreement, bags.id, 5).status_code == 303
    first, second = db.session.scalars(select(SupplyRequest).order_by(SupplyRequest.id)).all()
    assert db.session.scalar(select(Notification).where(Notification.user_id == staff.id)) is not None
    client.post("/logout")
    login(staff)
    queue = client.get("/adopt/supplies/requests")
    assert queue.status_code == 200 and "ごみ袋（45L） 6枚" in queue.get_data(as_text=True)
    assert "6枚" in client.get("/adopt/supplies/requests?status=requested").get_data(as_text=True)
    assert "6枚" not in client.get("/adopt/supplies/requests?status=returned").get_data(as_text=True)
    ok = client.post(f"/adopt/supplies/requests/{first.id}/approve", headers={"HX-Request": "true"})
    assert ok.status_code == 200
    assert f'id="supply-request-{first.id}"' in ok.get_data(as_text=True).split(">", 1)[0]
    refused = client.post(f"/adopt/supplies/requests/{second.id}/approve")
    assert refused.status_code == 409 and "在庫が足りません" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SupplyItem, bags.id).stock == 4
    assert db.session.get(SupplyRequest, second.id).status == "requested"
    assert client.post(f"/adopt/supplies/requests/{first.id}/approve").status_code == 409  # not twice
    declined = client.post(f"/adopt/supplies/requests/{second.id}/decline")
    assert declined.status_code == 422 and "理由" in declined.get_data(as_text=True)
    assert client.post(f"/adopt/supplies/requests/{second.id}/decline",
                       data={f"s{second.id}-reason": "在庫がありません"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(SupplyRequest, second.id).status == "declined"
    told = [n.message for n in db.session.scalars(select(Notification).where(Notification.user_id == rep.id))]
    assert any("承認" in m for m in told) and any("見送り" in m for m in told)


def test_a_loan_comes_back_and_restores_the_stock(app, client, login):
    agreement, rep = make_agreement()
    staff = dept_staff()
    mower = item("草刈り機", stock=2, is_loan=True, unit="台")
    login(rep)
    assert ask(client, agreement, mower.id, 1).status_code == 422  # a loan needs a return date
    assert ask(client, agreement, mower.id, 1, date.today() - timedelta(days=1)).status_code == 422
    assert ask(client, agreement, mower.id, 2, date.today() + timedelta(days=7)).status_code == 303
    req = db.session.scalar(select(SupplyRequest))
    mine = client.get(f"/adopt/agreements/{agreement.id}/supplies").get_data(as_text=True)
    assert "草刈り機 2台" in mine and "申請中" in mine
    assert client.post(f"/adopt/supplies/requests/{req.id}/approve").status_code == 403
    client.post("/logout")
    login(staff)
    for action, stock in (("approve", 0), ("hand_over", 0), ("return", 2)):
        assert client.post(f"/adopt/supplies/requests/{req.id}/{action}").status_code == 303, action
        db.session.expire_all()
        assert db.session.get(SupplyItem, mower.id).stock == stock, action
    assert db.session.get(SupplyRequest, req.id).status == "returned"
    assert client.post(f"/adopt/supplies/requests/{req.id}/return").status_code == 409


def test_supplies_are_not_returned_and_other_departments_cannot_decide(app, client, login):
    agreement, rep = make_agreement("土木課")
    outsider = dept_staff("環境課")
    staff = dept_staff("土木課")
    bags = item(stock=5)
    login(rep)
    ask(client, agreement, bags.id, 2)
    req = db.session.scalar(select(SupplyRequest))
    client.post("/logout")
    login(outsider)
    assert "ごみ袋" not in client.get("/adopt/supplies/requests").get_data(as_text=True)
    assert client.post(f"/adopt/supplies/requests/{req.id}/approve").status_code == 403
    client.post("/logout")
    login(staff)
    client.post(f"/adopt/supplies/requests/{req.id}/approve")
    client.post(f"/adopt/supplies/requests/{req.id}/hand_over")
    assert client.post(f"/adopt/supplies/requests/{req.id}/return").status_code == 409
    db.session.expire_all()
    assert db.session.get(SupplyItem, bags.id).stock == 3


def test_two_approvals_at_the_same_time_never_take_the_stock_below_zero(app, login):
    import threading

    agreement, rep = make_agreement()
    staff = dept_staff()
    bags = item(stock=10)
    reqs = [SupplyRequest(agreement_id=agreement.id, item_id=bags.id, quantity=q) for q in (7, 6)]
    db.session.add_all(reqs)
    db.session.commit()
    clients = [app.test_client(), app.test_client()]
    email = staff.email
    db.session.commit()
    for c in clients:
        c.post("/login", data={"email": email, "password": PASSWORD})
    tokens = [c.csrf_token() for c in clients]
    barrier, statuses = threading.Barrier(2), []

    def approve(c, token, req_id):
        barrier.wait()
        statuses.append(c.open(f"/adopt/supplies/requests/{req_id}/approve", method="POST", csrf=False,
                               headers={"X-CSRFToken": token}).status_code)

    threads = [threading.Thread(target=approve, args=(c, t, r.id)) for c, t, r in zip(clients, tokens, reqs,
                                                                                      strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [303, 409]
    db.session.rollback()  # end this session's read snapshot: look at what the two requests committed
    stock = db.session.get(SupplyItem, bags.id).stock
    approved = [r for r in db.session.scalars(select(SupplyRequest)) if r.status == "approved"]
    assert len(approved) == 1 and stock == 10 - approved[0].quantity >= 0
