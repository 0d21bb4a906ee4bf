"""Administration pages (admin only)."""

from __future__ import annotations

from flask import Blueprint

from ..access import roles_required
from ..htmx import render
from ..models import Role

bp = Blueprint("admin", __name__)


@bp.route("/")
@roles_required(Role.ADMIN)
def index():
    """管理: the administrator's start page."""
    return render("admin/index.html")
