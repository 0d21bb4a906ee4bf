"""The guideline's rules as publication checks, and the lifecycle's legal and illegal moves for each role."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from kyodo_match import search
from kyodo_match.errors import Conflict, NotAllowed, RuleViolation
from kyodo_match.extensions import db
from kyodo_match.models import Department, EvaluationAnswer, ProjectPartner, ProjectTransition, Role
from kyodo_match.projects import evaluation, lifecycle
from kyodo_match.projects.rules import method_fits_domain, publication_problems
from tests.factories import make_group, make_project, make_user

TODAY = date.today()


def _staff(department_name="環境課"):
    dept = db.session.scalar(select(Department).where(Department.name == department_name))
    return make_user(Role.STAFF, department_id=dept.id)


def test_a_complete_project_has_no_publication_problems(app):
    assert publication_problems(make_project(), TODAY) == []


@pytest.mark.parametrize(("fields", "rule", "field"), [
    ({"beneficiaries": ""}, 2, "beneficiaries"),
    ({"purpose": "  "}, 2, "purpose"),
    ({"selection_criteria": ""}, 4, "selection_criteria"),
    ({"selection_method": "designated", "designation_reason": ""}, 4, "designation_reason"),
    ({"recruit_until": None}, 4, "recruit_until"),
    ({"recruit_until": TODAY - timedelta(days=1)}, 4, "recruit_until"),
    ({"period_end": None}, 5, "period_end"),
    ({"period_start": TODAY + timedelta(days=500)}, 5, "period_start"),
    ({"city_role": ""}, 6, "city_role"),
    ({"partner_role": ""}, 6, "partner_role"),
    ({"method": "commission"}, None, "method"),
    ({"needed_individuals": 0, "needed_groups": 0}, None, "needed_individuals"),
])
def test_each_rule_refuses_publication(app, fields, rule, field):
    problems = publication_problems(make_project(**fields), TODAY)
    assert [(p.rule, p.field) for p in problems] == [(rule, field)]
    if rule:
        assert str(problems[0]).startswith(f"ルール{rule}")


def test_methods_pair_with_domains_as_the_guideline_table_does():
    assert method_fits_domain("citizen_led", "subsidy") and method_fits_domain("citizen_led", "sponsorship")
    assert method_fits_domain("cooperation", "executive_committee")
    assert method_fits_domain("government_led", "commission")
    assert not method_fits_domain("citizen_led", "commission")
    assert not method_fits_domain("government_led", "co_hosting")


def test_publishing_an_incomplete_draft_lists_every_missing_rule(app):
    project = make_project(purpose="", partner_role="", period_end=None)
    with pytest.raises(RuleViolation) as refused:
        lifecycle.transition(project, "recruiting", _staff(), today=TODAY)
    text = " ".join(refused.value.problems)
    assert "ルール2" in text and "ルール5" in text and "ルール6" in text and "ルール4" not in text
    assert project.status == "draft"


def test_the_whole_lifecycle_with_its_guards(app):
    staff = _staff()
    project = make_project()
    lifecycle.transition(project, "recruiting", staff, today=TODAY)
    assert project.published_at is not None
    lifecycle.transition(project, "selecting", staff, today=TODAY)
    with pytest.raises(Conflict, match="パートナーを選定"):
        lifecycle.transition(project, "agreement", staff, today=TODAY)
    project.partners.append(ProjectPartner(group_id=make_group(commit=False).id, reason="経験が豊富"))
    lifecycle.transition(project, "agreement", staff, today=TODAY)
    with pytest.raises(Conflict, match="双方が協定"):
        lifecycle.transition(project, "running", staff, today=TODAY)
    project.agreement_city_at = project.agreement_partner_at = project.created_at
    lifecycle.transition(project, "running", staff, today=TODAY)
    lifecycle.transition(project, "evaluating", staff, today=TODAY)
    with pytest.raises(Conflict, match="評価シート"):
        lifecycle.transition(project, "closed", staff, today=TODAY)
    items = {i.key: ("yes", "") for i in evaluation.sheet()}
    evaluation.save_answers(project, "department", staff, items)
    evaluation.save_answers(project, "partner", staff, items | {"plan-1": ("no", "目的の共有が不十分")})
    db.session.flush()
    assert evaluation.differences(project) == {"plan-1"}
    with pytest.raises(Conflict, match="成果の報告"):
        lifecycle.transition(project, "closed", staff, today=TODAY)
    project.outcome_achieved, project.improvement_notes = "ごみの量が4割減った", "募集を早める"
    lifecycle.transition(project, "closed", staff, today=TODAY)
    db.session.commit()
    steps = db.session.scalars(select(ProjectTransition).where(ProjectTransition.project_id == project.id)
                               .order_by(ProjectTransition.id)).all()
    assert [(s.from_status, s.to_status) for s in steps] == [
        ("draft", "recruiting"), ("recruiting", "selecting"), ("selecting", "agreement"),
        ("agreement", "running"), ("running", "evaluating"), ("evaluating", "closed")]
    assert all(s.actor_id == staff.id for s in steps) and project.closed_at is not None
    assert db.session.query(EvaluationAnswer).count() == 50


def test_illegal_moves_are_409_and_change_nothing(app):
    staff = _staff()
    project = make_project()
    for target in ["selecting", "agreement", "running", "evaluating", "closed", "draft", "nonsense"]:
        with pytest.raises(Conflict):
            lifecycle.transition(project, target, staff, today=TODAY)
    assert project.status == "draft" and not project.transitions


def test_cancelling_needs_a_reason_and_is_final(app):
    staff = _staff()
    project = make_project()
    with pytest.raises(RuleViolation, match="理由"):
        lifecycle.transition(project, "cancelled", staff, today=TODAY)
    lifecycle.transition(project, "cancelled", staff, comment="予算がつかなかったため", today=TODAY)
    assert project.cancel_reason == "予算がつかなかったため"
    with pytest.raises(Conflict):
        lifecycle.transition(project, "recruiting", staff, today=TODAY)


@pytest.mark.parametrize("who", ["volunteer", "group_rep", "other_department"])
def test_only_the_department_and_the_centre_may_move_a_project(app, who):
    project = make_project()
    actor = _staff("土木課") if who == "other_department" else make_user(Role(who))
    with pytest.raises(NotAllowed):
        lifecycle.transition(project, "recruiting", actor, today=TODAY)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_the_centre_may_move_any_project(app, role):
    project = make_project()
    lifecycle.transition(project, "recruiting", make_user(role), today=TODAY)
    assert project.status == "recruiting"


def test_published_projects_are_indexed_and_drafts_are_not(app):
    staff = _staff()
    draft = make_project(title="ＰＣ講座の講師募集")
    search.enqueue("project", draft.id)
    db.session.commit()
    assert search.search("project", "PC講座").ids == []
    lifecycle.transition(draft, "recruiting", staff, today=TODAY)
    db.session.commit()
    search.drain()
    assert search.search("project", "PC講座").ids == [draft.id]
    litter = make_project(title="公園のごみ拾い", status="recruiting")
    search.enqueue("project", litter.id)
    db.session.commit()
    assert search.search("project", "ゴミ拾い").ids == [litter.id]


def test_evaluation_sheet_has_25_items_in_four_stages(app):
    items = evaluation.sheet()
    assert len(items) == 25
    assert [i.key for i in items][:2] == ["plan-1", "plan-2"]
    assert {i.stage for i in items} == {"計画段階", "実施段階", "成果把握", "事業改善"}


def test_evaluation_answers_only_while_evaluating_and_only_known_items(app):
    staff = _staff()
    project = make_project(status="running")
    with pytest.raises(Conflict):
        evaluation.save_answers(project, "department", staff, {"plan-1": ("yes", "")})
    project.status = "evaluating"
    with pytest.raises(RuleViolation):
        evaluation.save_answers(project, "department", staff, {"plan-99": ("yes", "")})
    with pytest.raises(RuleViolation):
        evaluation.save_answers(project, "department", staff, {"plan-1": ("maybe", "")})
