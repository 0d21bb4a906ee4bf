"""1課1ボランティア: the blueprint every page module registers on (url_prefix /ikka)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staffvol", __name__)
