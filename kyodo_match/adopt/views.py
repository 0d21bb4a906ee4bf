"""アダプトプログラム: the blueprint every adopt page module registers on (url_prefix /adopt)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("adopt", __name__)
