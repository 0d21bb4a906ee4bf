"""1課1ボランティア: each staff member's secret iCal feed — the feed, making (or remaking) its address, stopping it."""

from __future__ import annotations

from flask import Response, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import public, roles_required
from ..extensions import db
from ..htmx import is_htmx, redirect_to, render
from ..models import Role, utcnow
from . import calendar
from .history_views import mine_context
from .views import bp

# --- the feed ---------------------------------------------------------------------------------------------------

@bp.route("/calendar/<token>.ics")
@public
def calendar_feed(token: str):
    """The secret iCal address: no login, no cookie; an unknown or stopped address is a plain 404."""
    user = calendar.user_for_token(token)
    if user is None:
        # Not the HTML error page: it would start a session (its forms carry a CSRF token) for a calendar client.
        return Response("Not Found\n", 404, mimetype="text/plain", headers={"Cache-Control": "no-store"})
    body = calendar.feed_ics(user, utcnow(),
                             link=lambda a: url_for("staffvol.show", activity_id=a.id, _external=True))
    return Response(body, mimetype="text/calendar", headers={
        "Cache-Control": "private, no-store",  # who goes where is personal: no shared cache keeps it
        "Content-Disposition": 'inline; filename="ikka-volunteer.ics"',
        "X-Robots-Tag": "noindex, nofollow",
    })


def _calendar_page(status: int = 200, feed_url: str | None = None):
    """わたしの参加, or only its calendar section for htmx."""
    return render("staffvol/mine.html", block="calendar", status=status, **mine_context(feed_url))


@bp.route("/calendar/reset", methods=["POST"])
@roles_required(Role.STAFF)
def calendar_reset():
    """Make the feed address (or a new one: the old one stops). It is shown in the answer to this request only."""
    token = calendar.issue_token(current_user)
    db.session.commit()
    flash(_("カレンダー用のURLを作りました。下に表示されたURLを、いまカレンダーアプリに登録してください。"), "success")
    return _calendar_page(feed_url=url_for("staffvol.calendar_feed", token=token, _external=True))


@bp.route("/calendar/stop", methods=["POST"])
@roles_required(Role.STAFF)
def calendar_stop():
    """Stop the feed: its address no longer works."""
    calendar.revoke(current_user)
    db.session.commit()
    flash(_("カレンダーへの配信を止めました。登録したカレンダーには、もう新しい予定は届きません。"), "success")
    if not is_htmx():
        return redirect_to(url_for("staffvol.mine") + "#staffvol-calendar")
    return _calendar_page()
