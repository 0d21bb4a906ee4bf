"""My account page."""

from __future__ import annotations

from flask import Blueprint

from ..access import signed_in
from ..htmx import render

bp = Blueprint("account", __name__)


@bp.route("/")
@signed_in
def show():
    """アカウント: my details."""
    return render("account/show.html")
