"""Who hears of each step of an application, in plain Japanese (お知らせ + e-mail, by each user's preferences)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Application, ApplicationStatus, User
from ..notifications import centre_users, notify_many
from ..projects.lifecycle import department_contacts

A = ApplicationStatus
KIND = "application"  # the notification kind users can switch (every step of an application)


def applicant_users(app: Application) -> list[User]:
    if app.volunteer is not None:
        return [app.volunteer]
    if app.group is not None:
        return [r.user for r in app.group.representatives]
    return []


def applicant_name(app: Application) -> str:
    """The public name: the group's name, or the volunteer's display name (never the real name)."""
    if app.group is not None:
        return app.group.name
    return app.volunteer.display_name if app.volunteer is not None else _("（退会した利用者）")


def link(app: Application) -> str:
    return f"/applications/{app.id}"


def created(app: Application) -> None:
    """A new application reaches the centre (to review) and the department (to know); an invitation reaches
    the invited."""
    title = app.project.title
    if app.status == A.INVITED:
        notify_many(applicant_users(app), KIND,
                    _l("「%(title)s」への参加の招待が届きました。参加するか答えてください。", title=title), link(app))
        return
    notify_many(centre_users() + department_contacts(app.project), KIND,
                _l("「%(title)s」に%(name)sさんから応募がありました。", title=title, name=applicant_name(app)),
                link(app))


def step_taken(app: Application, source: str, target: str, actor, reason: str) -> None:
    title = app.project.title
    to_applicant = {
        A.REVIEWING: _l("「%(title)s」への応募を、市民活動センターが確認しています。", title=title),
        A.APPROVED: _l("「%(title)s」への応募を市民活動センターが承認しました。担当課の確定をお待ちください。",
                      title=title),
        A.CONFIRMED: _l("「%(title)s」への参加が確定しました。担当課の連絡先を応募のページで確認できます。",
                       title=title),
        A.WAITLISTED: _l("「%(title)s」は定員に達したため、キャンセル待ちになりました。"
                        "空きが出たら自動で繰り上がります。", title=title),
        A.DECLINED: _l("「%(title)s」への応募は見送りになりました。理由: %(reason)s", title=title, reason=reason),
        A.ACTIVE: _l("「%(title)s」の活動が始まりました。", title=title),
        A.COMPLETED: _l("「%(title)s」の活動が完了しました。ご協力ありがとうございました。", title=title),
        A.EXPIRED: _l("「%(title)s」の募集が終わったため、応募は期限切れになりました。", title=title),
    }
    if target == A.WITHDRAWN and source == A.CONFIRMED:
        to_applicant[A.WITHDRAWN] = _l("「%(title)s」の参加の辞退を担当課が記録しました。", title=title)
    if message := to_applicant.get(target):
        notify_many(applicant_users(app), KIND, message, link(app))
    to_department = {
        A.APPROVED: _l("「%(title)s」への%(name)sさんの応募を市民活動センターが承認しました。参加を確定してください。",
                      title=title, name=applicant_name(app)),
        A.WITHDRAWN: _l("%(name)sさんが「%(title)s」への応募を取り下げました。", title=title, name=applicant_name(app)),
        A.APPLIED: _l("%(name)sさんが「%(title)s」への招待を受けました。", title=title, name=applicant_name(app)),
        A.INVITATION_DECLINED: _l("%(name)sさんは「%(title)s」への招待を辞退しました。", title=title,
                                 name=applicant_name(app)),
    }
    if (message := to_department.get(target)) and not (target == A.WITHDRAWN and source == A.CONFIRMED):
        notify_many(department_contacts(app.project), KIND, message, link(app))
    if target == A.APPLIED and source == A.INVITED:
        notify_many(centre_users(), KIND, message, link(app))


def promoted(app: Application) -> None:
    notify_many(applicant_users(app), KIND,
                _l("「%(title)s」に空きが出たため、キャンセル待ちから参加が確定しました。", title=app.project.title),
                link(app))
    notify_many(department_contacts(app.project), KIND,
                _l("「%(title)s」で%(name)sさんがキャンセル待ちから繰り上がりました。", title=app.project.title,
                  name=applicant_name(app)), link(app))


def _centre_on(app: Application) -> list[User]:
    """The coordinators who took part in this application (a step or a message); all of them while nobody has."""
    from ..models import ApplicationMessage

    acted = {t.actor_id for t in app.transitions} | set(db.session.scalars(
        select(ApplicationMessage.author_id).where(ApplicationMessage.application_id == app.id)))
    centre = centre_users()
    involved = [u for u in centre if u.id in acted]
    return involved or centre


def message_posted(app: Application, author) -> None:
    """A new message in the thread: everyone else on it hears of it (the text itself stays in the platform)."""
    others = [u for u in applicant_users(app) + department_contacts(app.project) + _centre_on(app)
              if u is not None and u.id != getattr(author, "id", None)]
    notify_many(others, KIND, _l("「%(title)s」の応募に新しいメッセージがあります。", title=app.project.title),
                link(app))
