"""事業提案: propose → route → accept into a linked draft, or decline with a public reason; who may see what,
illegal steps (409), other departments (403), unverified groups, fragments, privacy of the proposer's name."""

from __future__ import annotations

from sqlalchemy import select, update

from kyodo_match.extensions import db
from kyodo_match.models import Department, District, Notification, Project, Proposal, Role
from tests.factories import make_group, make_user

HX = {"HX-Request": "true"}
SECRET_NAME = "提案者ひみつ花子"


def html(response) -> str:
    return response.get_data(as_text=True)


def _dept(name: str = "環境課") -> int:
    return db.session.scalar(select(Department.id).where(Department.name == name))


def _staff(name: str = "環境課"):
    return make_user(Role.STAFF, department_id=_dept(name))


def _district(name: str = "板取") -> int:
    return db.session.scalar(select(District.id).where(District.name == name))


def proposal_data(**overrides) -> dict:
    values = {"title": "河川敷の草刈りを地域で引き受けたい", "problem": "板取川の河川敷が草で覆われ、子どもが遊べない",
              "idea": "地域の団体が年4回草刈りをし、市が刈った草を回収する", "offer": "会員10人で作業できます",
              "ask": "刈った草の回収と軍手の支給", "district_ids": [str(_district())]}
    return values | overrides


def _proposal(proposer=None, *, status: str = "submitted", department: str | None = "環境課", group=None,
              title: str = "公園の花壇を地域で育てたい") -> Proposal:
    """A proposal already in ``status`` (routed and decided ones belong to ``department``)."""
    proposer = proposer or make_user(Role.VOLUNTEER, display_name=SECRET_NAME)
    proposal = Proposal(proposer_id=proposer.id, group_id=group.id if group else None, title=title,
                        problem="花壇が荒れている", idea="地域で花を植える", status=status)
    if status != "submitted" and department:
        proposal.department_id = _dept(department)
    if status in ("accepted", "declined"):
        from kyodo_match.models import utcnow

        proposal.decided_at = utcnow()
        proposal.decision_reason = "予算の都合で今年度は見送ります" if status == "declined" else ""
    db.session.add(proposal)
    db.session.commit()
    return proposal


def _notices(user, kind: str | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


# --- the whole path ---------------------------------------------------------------------------------------------

def test_volunteer_proposes_coordinator_routes_and_department_staff_accept_into_a_linked_draft(client, login):
    volunteer = make_user(Role.VOLUNTEER, display_name=SECRET_NAME)
    coordinator = make_user(Role.COORDINATOR)
    staff = _staff("環境課")
    login(volunteer)
    response = client.post("/proposals/new", data=proposal_data())
    proposal = db.session.scalar(select(Proposal))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/proposals/{proposal.id}")
    assert (proposal.status, proposal.group_id, proposal.proposer_id) == ("submitted", None, volunteer.id)
    assert [d.name for d in proposal.districts] == ["板取"]
    assert "受付" in html(client.get("/proposals/mine"))

    login(coordinator)
    assert proposal.title in html(client.get("/proposals/queue"))
    row = client.post(f"/proposals/{proposal.id}/route", headers=HX,
                      data={"department_id": str(_dept()), "note": "河川の担当としてご検討ください"})
    assert row.status_code == 200
    assert html(row).lstrip().startswith(f'<li class="card proposal-item" id="proposal-row-{proposal.id}"')
    assert "<html" not in html(row)
    assert "担当課で検討中" in html(row) and "別の担当課に振り分け直す" in html(row)
    db.session.refresh(proposal)
    assert (proposal.status, proposal.department_id, proposal.routed_by_id) == ("routed", _dept(), coordinator.id)
    told = _notices(staff, "proposal_routed_to_department")
    assert len(told) == 1 and "河川の担当としてご検討ください" in told[0].message
    assert _notices(volunteer, "proposal_routed")

    login(staff)
    assert proposal.title in html(client.get("/proposals/department"))
    accepted = client.post(f"/proposals/{proposal.id}/accept", headers=HX, data={"comment": "来年度に実施します"})
    assert accepted.status_code == 200 and "<html" not in html(accepted)
    db.session.refresh(proposal)
    assert (proposal.status, proposal.decided_by_id) == ("accepted", staff.id) and proposal.decided_at
    project = db.session.scalar(select(Project).where(Project.proposal_id == proposal.id))
    assert project is not None and project.status == "draft" and project.department_id == _dept()
    assert (project.title, project.background, project.purpose, project.partner_role) == (
        proposal.title, proposal.problem, proposal.idea, proposal.offer)
    assert [d.name for d in project.districts] == ["板取"]
    assert f"/issues/{project.id}" in html(accepted)  # the department goes on to its draft

    notice = _notices(volunteer, "proposal_accepted")
    assert len(notice) == 1 and notice[0].link == f"/proposals/{proposal.id}"  # the draft is not public yet

    client.post("/logout")
    public = html(client.get("/proposals/"))
    assert proposal.title in public and "採用" in public and f"/issues/{project.id}" not in public
    assert client.get(f"/issues/{project.id}").status_code == 404
    project.status = "recruiting"
    db.session.commit()
    assert f"/issues/{project.id}" in html(client.get("/proposals/"))
    assert f"/issues/{project.id}" in html(client.get(f"/proposals/{proposal.id}"))


def test_department_staff_declines_only_with_a_reason_that_is_then_public(client, login):
    volunteer = make_user(Role.VOLUNTEER)
    proposal = _proposal(volunteer, status="routed")
    login(_staff())
    fragment = client.post(f"/proposals/{proposal.id}/decline", headers=HX, data={"reason": "  "})
    assert fragment.status_code == 422 and "<html" not in html(fragment)
    assert f'id="reason-{proposal.id}-error"' in html(fragment) and "理由を入力" in html(fragment)
    full = client.post(f"/proposals/{proposal.id}/decline", data={})
    assert full.status_code == 422 and "<html" in html(full) and "理由を入力" in html(full)
    db.session.refresh(proposal)
    assert proposal.status == "routed" and not _notices(volunteer)

    done = client.post(f"/proposals/{proposal.id}/decline", data={"reason": "同じ内容の事業がすでにあります"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/proposals/{proposal.id}")
    db.session.refresh(proposal)
    assert proposal.status == "declined" and proposal.decided_at is not None
    assert not db.session.scalar(select(Project))
    [notice] = _notices(volunteer, "proposal_declined")
    assert "同じ内容の事業がすでにあります" in notice.message

    client.post("/logout")
    page = client.get(f"/proposals/{proposal.id}")
    assert page.status_code == 200 and "同じ内容の事業がすでにあります" in html(page) and "不採用" in html(page)
    assert "同じ内容の事業がすでにあります" in html(client.get("/proposals/?outcome=declined"))
    assert proposal.title not in html(client.get("/proposals/?outcome=accepted"))


def test_staff_of_another_department_may_not_accept_or_decline(client, login):
    proposal = _proposal(status="routed", department="環境課")
    other = _staff("観光課")
    login(other)
    assert client.post(f"/proposals/{proposal.id}/accept", data={}).status_code == 403
    assert client.post(f"/proposals/{proposal.id}/decline", data={"reason": "うちの課ではない"},
                       headers=HX).status_code == 403
    assert client.get(f"/proposals/{proposal.id}").status_code == 404
    assert proposal.title not in html(client.get("/proposals/department"))
    db.session.refresh(proposal)
    assert proposal.status == "routed" and db.session.scalar(select(Project)) is None


def test_coordinator_may_decide_for_the_routed_department(client, login_as):
    proposal = _proposal(status="routed", department="環境課")
    login_as(Role.COORDINATOR)
    response = client.post(f"/proposals/{proposal.id}/accept", data={})
    project = db.session.scalar(select(Project).where(Project.proposal_id == proposal.id))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/issues/{project.id}")
    assert project.department_id == _dept("環境課")


# --- who proposes -----------------------------------------------------------------------------------------------

def test_representative_of_an_unverified_group_is_refused(client, login):
    rep = make_user(Role.GROUP_REP)
    group = make_group("確認待ちの会", status="pending", representative=rep)
    login(rep)
    page = html(client.get("/proposals/new"))
    assert "確認待ちの会" in page and "確認が済んでいない" in page and 'name="title"' not in page
    response = client.post("/proposals/new", data=proposal_data(group_id=str(group.id)), headers=HX)
    assert response.status_code == 422 and "<html" not in html(response)
    assert 'id="group_id-error"' in html(response) and "確認が済んでいない" in html(response)
    assert db.session.scalar(select(Proposal)) is None


def test_representative_cannot_propose_for_a_group_they_do_not_represent(client, login):
    rep = make_user(Role.GROUP_REP, Role.VOLUNTEER)
    make_group("自分の会", representative=rep)
    other = make_group("よその会", representative=make_user(Role.GROUP_REP))
    login(rep)
    assert client.post("/proposals/new", data=proposal_data(group_id=str(other.id))).status_code == 403
    assert db.session.scalar(select(Proposal)) is None


def test_representative_without_volunteer_role_cannot_propose_as_an_individual(client, login):
    rep = make_user(Role.GROUP_REP)
    make_group("自分の会", representative=rep)
    login(rep)
    response = client.post("/proposals/new", data=proposal_data(group_id=""))
    assert response.status_code == 422 and "提案する団体を選んでください" in html(response)
    assert db.session.scalar(select(Proposal)) is None


def test_group_proposal_is_shown_by_group_name_and_every_representative_is_told(client, login):
    rep = make_user(Role.GROUP_REP, display_name=SECRET_NAME)
    co_rep = make_user(Role.GROUP_REP, display_name="共同代表ひみつ太郎")
    group = make_group("板取川を守る会", representative=rep)
    from kyodo_match.models import GroupRepresentative

    db.session.add(GroupRepresentative(group_id=group.id, user_id=co_rep.id))
    db.session.commit()
    login(rep)
    assert client.post("/proposals/new", data=proposal_data(group_id=str(group.id))).status_code == 303
    proposal = db.session.scalar(select(Proposal))
    assert proposal.group_id == group.id

    login(co_rep)  # a co-representative follows the group's proposal before it is decided
    assert client.get(f"/proposals/{proposal.id}").status_code == 200
    assert proposal.title in html(client.get("/proposals/mine"))

    login(make_user(Role.COORDINATOR))
    client.post(f"/proposals/{proposal.id}/route", data={"department_id": str(_dept())})
    assert _notices(rep, "proposal_routed") and _notices(co_rep, "proposal_routed")
    login(_staff())
    client.post(f"/proposals/{proposal.id}/decline", data={"reason": "今年度は予算がありません"})
    assert _notices(rep, "proposal_declined") and _notices(co_rep, "proposal_declined")

    client.post("/logout")
    for url in ("/proposals/", f"/proposals/{proposal.id}"):
        page = html(client.get(url))
        assert "板取川を守る会" in page and SECRET_NAME not in page and "共同代表ひみつ太郎" not in page


# --- who sees what ----------------------------------------------------------------------------------------------

def test_undecided_proposal_is_404_to_others_and_absent_from_the_public_list(client, login):
    proposer = make_user(Role.VOLUNTEER)
    proposal = _proposal(proposer, status="submitted", title="まだ検討中のひみつの提案")
    assert client.get(f"/proposals/{proposal.id}").status_code == 404
    assert "まだ検討中のひみつの提案" not in html(client.get("/proposals/"))
    for user in (make_user(Role.VOLUNTEER), _staff("環境課"), make_user(Role.GROUP_REP)):
        login(user)
        assert client.get(f"/proposals/{proposal.id}").status_code == 404
        assert "まだ検討中のひみつの提案" not in html(client.get("/proposals/"))
    login(proposer)
    assert client.get(f"/proposals/{proposal.id}").status_code == 200

    proposal.status, proposal.department_id = "routed", _dept("環境課")
    db.session.commit()
    login(_staff("環境課"))
    assert client.get(f"/proposals/{proposal.id}").status_code == 200
    login(_staff("観光課"))
    assert client.get(f"/proposals/{proposal.id}").status_code == 404
    login(make_user(Role.COORDINATOR))
    assert client.get(f"/proposals/{proposal.id}").status_code == 200
    client.post("/logout")
    assert client.get(f"/proposals/{proposal.id}").status_code == 404
    assert "まだ検討中のひみつの提案" not in html(client.get("/proposals/"))


def test_individual_proposer_is_never_named_on_public_pages(client, login):
    proposer = make_user(Role.VOLUNTEER, display_name=SECRET_NAME)
    accepted = _proposal(proposer, status="accepted", title="採用された提案")
    declined = _proposal(proposer, status="declined", title="不採用の提案")
    pages = ["/proposals/", "/proposals/?outcome=accepted", "/proposals/?outcome=declined",
             f"/proposals/{accepted.id}", f"/proposals/{declined.id}"]
    for viewer in (None, make_user(Role.VOLUNTEER), _staff("環境課")):
        if viewer is not None:
            login(viewer)
        for url in pages:
            for headers in ({}, HX):
                page = html(client.get(url, headers=headers))
                assert SECRET_NAME not in page, (viewer, url)
                assert "市民の方" in page, (viewer, url)
    login(make_user(Role.COORDINATOR))  # the centre may see who proposed, to follow up
    assert SECRET_NAME in html(client.get(f"/proposals/{accepted.id}"))


# --- the steps ------------------------------------------------------------------------------------------------

def test_illegal_steps_are_409_and_change_nothing(client, login):
    submitted = _proposal(status="submitted", title="受付のまま")
    decided = _proposal(status="accepted", title="採用済み")
    declined = _proposal(status="declined", title="不採用済み")
    login(make_user(Role.COORDINATOR))
    response = client.post(f"/proposals/{submitted.id}/accept", data={}, headers=HX)
    assert response.status_code == 409 and "できません" in html(response) and "<html" not in html(response)
    response = client.post(f"/proposals/{decided.id}/route", data={"department_id": str(_dept("観光課"))})
    assert response.status_code == 409 and "できません" in html(response)
    login(_staff("環境課"))
    assert client.post(f"/proposals/{declined.id}/decline", data={"reason": "もう一度"}).status_code == 409
    assert client.post(f"/proposals/{decided.id}/accept", data={}).status_code == 409
    for p, status in ((submitted, "submitted"), (decided, "accepted"), (declined, "declined")):
        db.session.refresh(p)
        assert p.status == status
    assert db.session.scalar(select(Project)) is None


def test_accept_loses_to_a_decision_made_meanwhile(app):
    """Two people deciding at once: the conditional UPDATE lets only the first one through."""
    from kyodo_match.errors import Conflict
    from kyodo_match.proposals import services

    proposal = _proposal(status="routed")
    staff = _staff()
    db.session.execute(update(Proposal).where(Proposal.id == proposal.id).values(status="declined"),
                       execution_options={"synchronize_session": False})
    assert proposal.status == "routed"  # this session still believes it is open
    with app.test_request_context():
        try:
            services.accept_proposal(proposal, staff)
        except Conflict:
            db.session.rollback()
        else:
            raise AssertionError("accepting a proposal decided meanwhile must be refused")
    assert db.session.scalar(select(Project)) is None


def test_coordinator_reroutes_to_another_department_whose_staff_are_told(client, login):
    proposal = _proposal(status="routed", department="環境課")
    tourism = _staff("観光課")
    login(make_user(Role.COORDINATOR))
    same = client.post(f"/proposals/{proposal.id}/route", data={"department_id": str(_dept("環境課"))}, headers=HX)
    assert same.status_code == 422 and f'id="department-{proposal.id}-error"' in html(same)
    missing = client.post(f"/proposals/{proposal.id}/route", data={"department_id": ""})
    assert missing.status_code == 422 and "<html" in html(missing) and "担当課を選んでください" in html(missing)
    moved = client.post(f"/proposals/{proposal.id}/route", data={"department_id": str(_dept("観光課"))})
    assert moved.status_code == 303
    db.session.refresh(proposal)
    assert proposal.department_id == _dept("観光課") and proposal.status == "routed"
    assert _notices(tourism, "proposal_routed_to_department")
    login(_staff("環境課"))
    assert client.get(f"/proposals/{proposal.id}").status_code == 404


def test_department_staff_cannot_route(client, login):
    proposal = _proposal(status="submitted")
    login(_staff())
    assert client.post(f"/proposals/{proposal.id}/route", data={"department_id": str(_dept())}).status_code == 403


# --- forms and fragments ----------------------------------------------------------------------------------------

def test_missing_texts_are_422_beside_their_fields_as_fragment_and_as_page(client, login_as):
    login_as(Role.VOLUNTEER)
    bad = proposal_data(title="", problem="", idea="", offer="x" * 4001)
    fragment = client.post("/proposals/new", data=bad, headers=HX)
    page = html(fragment)
    assert fragment.status_code == 422 and "<html" not in page and 'id="proposal-form"' in page
    for field, words in (("title", "題名"), ("problem", "地域課題"), ("idea", "アイデア"), ("offer", "4000")):
        start = page.find(f'id="{field}-error"')
        assert start != -1 and words in page[start:page.find("</ul>", start)], field
    full = client.post("/proposals/new", data=bad)
    assert full.status_code == 422 and "<html" in html(full) and 'id="title-error"' in html(full)
    assert db.session.scalar(select(Proposal)) is None


def test_pages_are_whole_or_their_block_for_htmx(client, login_as):
    _proposal(status="declined", title="結果の出た提案")
    full = client.get("/proposals/")
    part = client.get("/proposals/", headers=HX)
    assert "<html" in html(full) and "事業提案とは" in html(full)
    assert "<html" not in html(part) and html(part).lstrip().startswith('<div id="proposal-results"')
    assert "結果の出た提案" in html(part) and "事業提案とは" not in html(part)
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in part.headers["Vary"]
    assert "事業を提案する" not in html(full)  # anonymous visitors are asked to sign in instead

    login_as(Role.VOLUNTEER)
    assert "事業を提案する" in html(client.get("/proposals/"))
    form_full, form_part = client.get("/proposals/new"), client.get("/proposals/new", headers=HX)
    assert "<html" in html(form_full) and "<html" not in html(form_part)
    assert html(form_part).lstrip().startswith('<div id="proposal-form"')
    assert "HX-Request" in form_part.headers["Vary"]


def test_queue_and_department_pages_as_whole_page(client, login):
    proposal = _proposal(status="routed")
    login(make_user(Role.COORDINATOR))
    queue = html(client.get("/proposals/queue?status=routed"))
    assert "<html" in queue and f'id="proposal-row-{proposal.id}"' in queue
    assert f'hx-target="#proposal-row-{proposal.id}"' in queue
    login(_staff())
    page = html(client.get("/proposals/department"))
    assert f'id="proposal-row-{proposal.id}"' in page and "不採用にする" in page and SECRET_NAME not in page


def test_proposal_post_without_csrf_token_is_refused(client, login_as):
    login_as(Role.VOLUNTEER)
    assert client.post("/proposals/new", data=proposal_data(), csrf=False).status_code == 400
    assert db.session.scalar(select(Proposal)) is None


def test_markup_in_a_proposal_is_shown_as_text(client, login):
    proposer = make_user(Role.VOLUNTEER)
    login(proposer)
    client.post("/proposals/new", data=proposal_data(title='<script>alert("x")</script>',
                                                     idea='<img src=x onerror="alert(1)">'))
    proposal = db.session.scalar(select(Proposal))
    page = html(client.get(f"/proposals/{proposal.id}"))
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "<img src=x" not in page


def test_roles_that_do_not_propose_are_refused_the_form(client, login_as):
    login_as(Role.STAFF)
    assert client.get("/proposals/new").status_code == 403
    assert client.get("/proposals/queue").status_code == 403
